// The command line that starts `borg serve`, compared with what borg 1.2.4's own RemoteRepository
// (ssh_cmd + borg_cmd) builds for the same location, options and environment.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { UsageError } from '../../src/errors.js';
import type { LogLevel } from '../../src/progress.js';
import { parseLocation } from '../../src/remote/location.js';
import { serveOptions, sshArgv } from '../../src/remote/ssh-command.js';
import { python } from '../cli/borg-python.js';

interface Case {
  location: string;
  level: LogLevel;
  rsh?: string;
  remotePath?: string;
  topics?: string[];
  quota?: number;
  env?: Record<string, string>;
}

const CASES: Case[] = [
  { location: 'ssh://host/repo', level: 'warning' },
  { location: 'ssh://user@host:2222/./rel', level: 'info' },
  { location: 'ssh://user@[::1]:22/~/repo', level: 'debug', topics: ['repository.compaction', 'files_cache', 'borg.debug.repository'] },
  { location: 'user@backup.example.com:repos/x', level: 'error', rsh: 'ssh -i "/keys/my key" -o BatchMode=yes' },
  { location: 'host:~user/r', level: 'critical', remotePath: '/opt/borg-{borgversion}/bin/borg' },
  { location: 'ssh://h:0/p', level: 'warning', env: { BORG_RSH: "ssh -o 'ProxyCommand=nc -X 5 -x proxy:1080 %h %p'", BORG_REMOTE_PATH: 'borg1' } },
  { location: 'ssh://h/p', level: 'warning', rsh: 'myssh', remotePath: 'node /srv/borg-ts/dist/cli/main.js', env: { BORG_RSH: 'ignored', BORG_REMOTE_PATH: 'ignored' } },
  { location: 'ssh://h/p', level: 'info', quota: 10_000_000 },
];

const ORACLE = String.raw`
import argparse, json, logging, os, sys
from borg.helpers import Location
from borg.remote import RemoteRepository
out = []
for case in json.load(sys.stdin):
    for name in ('BORG_RSH', 'BORG_REMOTE_PATH'):
        os.environ.pop(name, None)
    os.environ.update(case.get('env', {}))
    logging.getLogger().setLevel(getattr(logging, case['level'].upper()))
    args = argparse.Namespace(rsh=case.get('rsh'), remote_path=case.get('remotePath'),
                              debug_topics=case.get('topics', []), storage_quota=case.get('quota'))
    repo = RemoteRepository.__new__(RemoteRepository)
    repo._args = args
    out.append(repo.ssh_cmd(Location(case['location'])) + repo.borg_cmd(args, False))
print(json.dumps(out))
`;

describe('sshArgv', () => {
  it('builds the argv borg 1.2.4 builds: remote shell, port, user@host, remote path, serve, options', () => {
    const expected = python<string[][]>(ORACLE, CASES);
    CASES.forEach((c, i) => {
      const ours = sshArgv(parseLocation(c.location, { env: {} }), {
        logLevel: c.level,
        ...(c.rsh !== undefined ? { rsh: c.rsh } : {}),
        ...(c.remotePath !== undefined ? { remotePath: c.remotePath } : {}),
        ...(c.topics !== undefined ? { debugTopics: c.topics } : {}),
        ...(c.quota !== undefined ? { storageQuota: c.quota } : {}),
      }, c.env ?? {});
      assert.deepEqual(ours, expected[i], c.location);
    });
  });

  it('passes the umask first, as --umask=NNN in octal', () => {
    assert.deepEqual(serveOptions({ umask: 0o077, logLevel: 'info' }), ['--umask=077', '--info']);
    assert.deepEqual(serveOptions({ umask: 0o002 }), ['--umask=002']);
    assert.deepEqual(serveOptions({ umask: 0o7777 }), ['--umask=7777']);
  });

  it('refuses an empty or unbalanced remote shell command with a usage error', () => {
    const location = parseLocation('ssh://h/p', { env: {} });
    assert.throws(() => sshArgv(location, { rsh: '  ' }, {}), UsageError);
    assert.throws(() => sshArgv(location, { rsh: 'ssh "unterminated' }, {}), (e: unknown) => e instanceof UsageError && /remote shell/.test(e.message));
  });

  it('is only for remote locations', () => {
    assert.throws(() => sshArgv(parseLocation('/local/repo', { env: {} }), {}, {}), TypeError);
  });
});
