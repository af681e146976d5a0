// The append-only scenario of the serve tests: a key in authorized_keys whose forced command is
// `serve --restrict-to-path P --append-only`, with a real sshd on 127.0.0.1. Repositories outside P
// are refused; delete, prune and compact from the client (and deleting the whole repository, which
// is refused) leave every earlier archive on the server, which gets them back by rolling back the
// append-only transactions as borg documents it (remove the index/hints/integrity files and the
// segments after the last good transaction). The outcome is returned for comparison between
// client/server pairs.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SshServer } from '../helpers/sshd.js';
import { pseudoRandom } from '../helpers/tree-compare.js';
import { assertExit, type Run, type RunOptions, type Sandbox } from './tools.js';

export type Client = (box: Sandbox, args: string[], options?: Partial<RunOptions>) => Run;
export const REAL_BORG: Client = (box, args, options) => box.borg(args, options);
export const BORG_TS: Client = (box, args, options) => box.borgTs(args, options);

export interface Outcome {
  refusedOutside: boolean;
  afterDeletes: string[];
  afterRollback: string[];
}

function archives(run: Run): string[] {
  return run.stdout.split('\n').filter(Boolean);
}

/** The id of the last transaction in the repository's append-only log. */
function lastTransaction(repo: string): number {
  const lines = readFileSync(join(repo, 'transactions'), 'utf8').trim().split('\n');
  const m = /^transaction (\d+), UTC time /.exec(lines[lines.length - 1]!);
  assert.ok(m, `transactions log: ${lines.join(' | ')}`);
  return Number(m[1]);
}

/** borg's documented recovery: drop index, hints and integrity files and every segment after `tid`. */
function rollBackTo(repo: string, tid: number): void {
  for (const name of readdirSync(repo)) if (/^(index|hints|integrity)\.\d+$/.test(name)) rmSync(join(repo, name));
  const data = join(repo, 'data');
  for (const dir of readdirSync(data)) {
    for (const name of readdirSync(join(data, dir))) if (Number(name) > tid) rmSync(join(data, dir, name));
  }
}

/** Everything one client does through one forced-command server, and what the server keeps. */
export function appendOnlyScenario(
  where: { sshd: SshServer; box: Sandbox },
  name: string,
  client: Client,
  serveCommand: (allowed: string) => string,
  clientEnv: Record<string, string>,
): Outcome {
  const { sshd, box } = where;
  const allowed = box.path(`${name}-allowed`);
  mkdirSync(allowed);
  const key = sshd.authorize({ command: serveCommand(allowed), options: ['restrict'] });
  const env = box.with({ ...clientEnv, BORG_RSH: key.rsh, BORG_BASE_DIR: box.path(`${name}-base`) });
  const run = (args: string[], extra: Record<string, string> = {}): Run => client(box, args, { env: { ...env, ...extra } });
  const repo = join(allowed, 'repo');
  const url = sshd.url(repo);

  assertExit(run(['init', '-e', 'repokey-blake2', url]), 0, `${name}: init`);
  // init through an --append-only server makes a normal repository (borg's rule).
  assert.match(readFileSync(join(repo, 'config'), 'utf8'), /^append_only = 0$/m);

  const outside = [box.path(`${name}-outside`, 'repo'), `${allowed}-evil/repo`, `${allowed}/../${name}-outside2/repo`];
  let refusedOutside = true;
  for (const path of outside) {
    const r = run(['init', '-e', 'repokey-blake2', sshd.url(path)]);
    assertExit(r, 2, `${name}: init outside ${path}`);
    refusedOutside &&= /Repository path not allowed/.test(r.stderr);
  }
  assert.equal(existsSync(box.path(`${name}-outside`)), false);
  assert.equal(existsSync(`${allowed}-evil`), false);

  mkdirSync(box.path(`${name}-src`));
  for (const archive of ['a1', 'a2', 'a3']) {
    writeFileSync(box.path(`${name}-src`, `${archive}.bin`), pseudoRandom(archive, 200_000));
    assertExit(run(['create', `${url}::${archive}`, `${name}-src`]), 0, `${name}: create ${archive}`);
  }
  const good = lastTransaction(repo);

  assertExit(run(['delete', `${url}::a1`]), 0, `${name}: delete a1`);
  assertExit(run(['prune', '--keep-last', '1', url]), 0, `${name}: prune`);
  assertExit(run(['compact', url]), 0, `${name}: compact`);
  const destroy = run(['delete', url], { BORG_DELETE_I_KNOW_WHAT_I_AM_DOING: 'YES' });
  assertExit(destroy, 2, `${name}: delete the repository`);
  assert.ok(existsSync(join(repo, 'config')), 'the repository survives');
  const afterDeletes = archives(run(['list', '--short', url]));
  assert.ok(lastTransaction(repo) > good, 'delete and prune were logged as transactions');

  // On the server, as its administrator (a fresh client: the key is in the repository).
  rollBackTo(repo, good);
  const admin = box.with({ BORG_BASE_DIR: box.path(`${name}-admin`) });
  assertExit(box.borg(['check', '--verify-data', repo], { env: admin }), 0, `${name}: borg check after rollback`);
  const afterRollback = archives(box.borg(['list', '--short', repo], { env: admin }));
  assert.deepEqual(archives(box.borgTs(['list', '--short', repo], { env: admin })), afterRollback);
  assertExit(box.borgTs(['check', repo], { env: admin }), 0, `${name}: borg-ts check after rollback`);
  return { refusedOutside, afterDeletes, afterRollback };
}

/** What every client/server pair must end with. */
export const EXPECTED_OUTCOME: Outcome = { refusedOutside: true, afterDeletes: ['a3'], afterRollback: ['a1', 'a2', 'a3'] };
