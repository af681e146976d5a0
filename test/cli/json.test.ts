import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PyFloat } from '../../src/archive/placeholders.js';
import { formatJson, isoLocalFromNs, isoLocalFromUtc, pythonJsonDumps, textLocalFromUtc } from '../../src/cli/json.js';
import { formatFileSize } from '../../src/cli/file-size.js';
import { python } from './borg-python.js';

// Floats travel to Python as {"f": text} so that 2.0 stays a float there.
const SAMPLE = {
  repository: { id: 'ab'.repeat(32), location: '/tmp/répo ☃', last_modified: '2026-01-05T23:05:21.000000' },
  encryption: { mode: 'repokey-blake2' },
  archives: [
    { name: 'a\u0000\u001f\u007f"\\\n\t\r\b\f', duration: { f: '2.0' }, ratio: { f: '0.1' }, tiny: { f: '1e-05' }, big: { f: '1e+16' } },
    { name: '😀 \ud800 lone', nfiles: 0, size: 2 ** 53, flag: true, nothing: null, empty: {}, list: [] },
  ],
  'Zeta': 1, 'alpha': [1, [2, []]], '\u00e9': 2, '\uffff': 3, '\u{1f600}': 4,
};

function toOurs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toOurs);
  if (value !== null && typeof value === 'object') {
    const f = (value as { f?: unknown }).f;
    if (typeof f === 'string') return new PyFloat(Number(f));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toOurs(v)]));
  }
  return value;
}

const ORACLE = String.raw`
import json, sys
def conv(v):
    if isinstance(v, list): return [conv(x) for x in v]
    if isinstance(v, dict):
        if set(v) == {'f'} and isinstance(v['f'], str): return float(v['f'])
        return {k: conv(x) for k, x in v.items()}
    return v
obj = conv(json.loads(sys.stdin.read()))
print(json.dumps([json.dumps(obj, sort_keys=True, indent=4), json.dumps(obj)]))
`;

describe('Python-compatible JSON', () => {
  it('prints like json.dumps with and without indent', () => {
    // Lone surrogates cannot travel as UTF-8, so Python reads the escaped text directly.
    const [indented, compact] = python<[string, string]>(ORACLE, SAMPLE);
    assert.equal(formatJson(toOurs(SAMPLE)), `${indented}\n`);
    assert.equal(pythonJsonDumps(toOurs(SAMPLE)), compact);
  });

  it('uses toJSON and skips undefined properties', () => {
    assert.equal(pythonJsonDumps({ a: undefined, d: { toJSON: () => 'x' } }), '{"d": "x"}');
    assert.equal(pythonJsonDumps([Number.NaN, Infinity, -Infinity, new PyFloat(-0)]), '[NaN, Infinity, -Infinity, -0.0]');
  });
});

describe('timestamps', () => {
  it('render like borg OutputTimestamp and safe_timestamp', () => {
    const cases = { utc: [0, 1_767_654_321, 1_782_000_000], ns: ['1767654321123456789', '1767654321000000500', '1767654321999999600', '1500000000000001500'] };
    const expected = python<{ iso: string[]; text: string[]; ns: string[] }>(String.raw`
import json, sys
from datetime import datetime, timezone
from borg.helpers.time import OutputTimestamp, safe_timestamp, isoformat_time
c = json.load(sys.stdin)
utc = [OutputTimestamp(datetime.fromtimestamp(t, timezone.utc)) for t in c['utc']]
print(json.dumps({'iso': [u.isoformat() for u in utc], 'text': [str(u) for u in utc],
                  'ns': [isoformat_time(safe_timestamp(int(n))) for n in c['ns']]}))
`, cases, { TZ: 'Europe/Berlin' });
    const savedTz = process.env['TZ'];
    process.env['TZ'] = 'Europe/Berlin';
    try {
      assert.deepEqual(cases.utc.map((t) => isoLocalFromUtc(new Date(t * 1000 + 789))), expected.iso);
      assert.deepEqual(cases.utc.map((t) => textLocalFromUtc(new Date(t * 1000))), expected.text);
      assert.deepEqual(cases.ns.map((n) => isoLocalFromNs(BigInt(n))), expected.ns);
    } finally {
      if (savedTz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = savedTz;
    }
  });
});

describe('formatFileSize', () => {
  it('matches borg format_file_size', () => {
    const sizes = [0, 1, 999, 1000, 1005, 1015, 1125, 1024, 123456, 999_995, 999_994, 1_000_000, 1_048_576, 2 ** 40, 10 ** 25, -1500];
    const expected = python<[string[], string[], string[]]>(String.raw`
import json, sys
from borg.helpers import format_file_size
s = json.load(sys.stdin)
print(json.dumps([[format_file_size(v) for v in s], [format_file_size(v, iec=True) for v in s], [format_file_size(v, sign=True) for v in s]]))
`, sizes);
    assert.deepEqual(sizes.map((v) => formatFileSize(v)), expected[0]);
    assert.deepEqual(sizes.map((v) => formatFileSize(v, { iec: true })), expected[1]);
    assert.deepEqual(sizes.map((v) => formatFileSize(v, { sign: true })), expected[2]);
  });
});
