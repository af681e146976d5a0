// The declared RPC method table of `borg serve` (spec §6.3): one table drives the client stubs (argument
// order, defaults, minimum server version) and the server dispatch (allow-list, argument checks).

import type { MsgValue } from '../../format/msgpack.js';

/** What a parameter's value may be on the wire (`nullable` additionally allows nil). */
export type RpcParamType = 'any' | 'bool' | 'int' | 'number' | 'bytes';

export interface RpcParam {
  readonly name: string;
  readonly type: RpcParamType;
  readonly nullable?: boolean;
  /** Absent = required. */
  readonly default?: MsgValue;
  /** Minimum server version that knows this parameter (client checks it, §6.3 notes). */
  readonly since?: readonly number[];
}

export interface RpcMethod {
  readonly name: string;
  /** All parameters, in the order borg's stub signature declares them (= dict-format key order). */
  readonly params: readonly RpcParam[];
  /** Positional parameter names of the legacy format (`compatMap`); undefined = no legacy form. */
  readonly legacy?: readonly string[];
  /** Minimum server version that offers the method. */
  readonly since: readonly number[];
}

const V1_0 = [1, 0, 0, -1] as const;

function method(name: string, params: RpcParam[], legacy: string[] | undefined, since: readonly number[] = V1_0): RpcMethod {
  return legacy === undefined ? { name, params, since } : { name, params, legacy, since };
}

export const RPC_METHODS: ReadonlyMap<string, RpcMethod> = new Map(
  [
    method('negotiate', [{ name: 'client_data', type: 'any' }], ['client_data']),
    method(
      'open',
      [
        { name: 'path', type: 'bytes' },
        { name: 'create', type: 'bool', default: false },
        { name: 'lock_wait', type: 'number', nullable: true, default: null },
        { name: 'lock', type: 'bool', default: true },
        { name: 'exclusive', type: 'bool', nullable: true, default: null },
        { name: 'append_only', type: 'bool', default: false },
        { name: 'make_parent_dirs', type: 'bool', default: false, since: [1, 1, 9, -1] },
      ],
      ['path', 'create', 'lock_wait', 'lock', 'exclusive', 'append_only'],
    ),
    method(
      'check',
      [
        { name: 'repair', type: 'bool', default: false },
        { name: 'save_space', type: 'bool', default: false },
        { name: 'max_duration', type: 'number', default: 0, since: [1, 2, 0, -4, 4] },
      ],
      ['repair', 'save_space'],
    ),
    method(
      'commit',
      [
        { name: 'save_space', type: 'bool', default: false },
        { name: 'compact', type: 'bool', default: true },
        { name: 'threshold', type: 'number', default: 0.1 },
        { name: 'cleanup_commits', type: 'bool', default: false },
      ],
      ['save_space'],
    ),
    method('rollback', [], []),
    method('destroy', [], []),
    method('__len__', [], []),
    method(
      'list',
      [
        { name: 'limit', type: 'int', nullable: true, default: null },
        { name: 'marker', type: 'bytes', nullable: true, default: null },
      ],
      ['limit', 'marker'],
    ),
    method(
      'scan',
      [
        { name: 'limit', type: 'int', nullable: true, default: null },
        { name: 'marker', type: 'bytes', nullable: true, default: null },
      ],
      undefined,
      [1, 1, 0, -3, 3],
    ),
    method('get', [{ name: 'id', type: 'bytes' }], ['id']),
    // `wait` belongs to the stub signature: borg's client transports it (as true) only when the caller
    // left it at its default; an async call (wait=False) omits it. The server ignores it.
    method(
      'put',
      [
        { name: 'id', type: 'bytes' },
        { name: 'data', type: 'bytes' },
        { name: 'wait', type: 'bool', default: true },
      ],
      ['id', 'data'],
    ),
    method(
      'delete',
      [
        { name: 'id', type: 'bytes' },
        { name: 'wait', type: 'bool', default: true },
      ],
      ['id'],
    ),
    method('save_key', [{ name: 'keydata', type: 'bytes' }], ['keydata']),
    method('load_key', [], []),
    method('break_lock', [], []),
    method('get_free_nonce', [], []),
    method(
      'commit_nonce_reservation',
      [
        { name: 'next_unreserved', type: 'int' },
        { name: 'start_nonce', type: 'int', nullable: true },
      ],
      ['next_unreserved', 'start_nonce'],
    ),
    method('inject_exception', [{ name: 'kind', type: 'any' }], undefined),
  ].map((m) => [m.name, m] as const),
);

export function getRpcMethod(name: string): RpcMethod | undefined {
  return RPC_METHODS.get(name);
}

/** Whether `value` fits the parameter's declared wire type. */
export function paramAccepts(param: RpcParam, value: MsgValue): boolean {
  if (value === null) return param.nullable === true || param.type === 'any';
  switch (param.type) {
    case 'any': return true;
    case 'bool': return typeof value === 'boolean';
    case 'int': return (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint';
    case 'number': return typeof value === 'number' || typeof value === 'bigint';
    case 'bytes': return value instanceof Uint8Array || typeof value === 'string';
  }
}

/** Compares two borg version tuples (§6.2 `parse_version` form); missing trailing parts count as 0. */
export function compareVersions(a: readonly number[], b: readonly number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
