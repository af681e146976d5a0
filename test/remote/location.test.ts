import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import path from 'node:path';

import { UsageError } from '../../src/errors.js';
import { InvalidPlaceholder } from '../../src/archive/placeholders.js';
import { normpath, parseLocation } from '../../src/remote/location.js';
import { python } from '../cli/borg-python.js';

// [location text, BORG_REPO or null]
const CASES: Array<[string, string | null]> = [
  ['repo', null], ['/abs/repo', null], ['./rel/../repo', null], ['repo::arch', null], ['/abs/repo::arch.2024-01-01', null],
  ['rel/./a//b/', null], ['//double/slash', null], ['///triple', null], ['/./repo', null], ['../up/../../x', null],
  ['/päth with space/répo-ü☃', null], ['/x::archive with spaces', null], ['/cafe\u0301/x\u00b2/a\u200db/日本', null],
  ['ssh://host/path', null], ['ssh://user@host:2222/path::arch', null], ['ssh://user@host/./rel', null],
  ['ssh://host/./../x', null], ['ssh://host/~/x', null], ['ssh://host/~user/x', null], ['ssh://[::1]:22/repo', null],
  ['ssh://user@[2001:db8::1]/~/r::a', null], ['ssh://h:0/p', null], ['ssh://h:022/p', null],
  ['ssh://host:22/p:with:colon::a', null], ['ssh://host/p/../q/', null],
  ['host:path', null], ['user@host:path', null], ['host:~/x', null], ['host:~user/x', null], ['host:/abs', null],
  ['user@host:rel/../x::a', null], ['[::1]:repo', null], ['C:/x', null], ['host.example.com:backups/borg', null],
  ['file:///abs/path', null], ['file:///abs/path::a', null], ['file://srv/x', null], ['file://rel/../../x', null],
  ['::arch', '/env/repo'], ['::', '/env/repo'], ['', '/env/repo'], ['::arch', 'user@host:repo'],
  ['', 'ssh://h/~/r::ignored'], ['::a', '{hostname}:r'],
  ['{hostname}:repo', null], ['/r::{user}-{borgmajor}', null], ['/r::{{x}}', null],
  ['repo::a/b', null], [':x', null], ['::', null], ['', null], ['ssh://h', null], ['foo::', null], ['ssh://host', null],
  ['::a/b', '/env/repo'], ['{bad}', null], ['/r::{now!r}', null], ['x}', null], ['::', 'x::'],
];

interface Outcome {
  error?: string;
  proto?: string;
  user?: string | null;
  host?: string | null;
  port?: number | null;
  path?: string;
  archive?: string | null;
  canonical?: string;
  keyfile?: string;
  processed?: string;
  raw?: string;
}

const ORACLE = String.raw`
import json, os, sys
from borg.helpers import Location, Error
out = []
for text, repo in json.load(sys.stdin):
    if repo is None:
        os.environ.pop('BORG_REPO', None)
    else:
        os.environ['BORG_REPO'] = repo
    try:
        loc = Location(text)
    except Error as e:
        out.append({'error': type(e).__name__})
        continue
    except ValueError as e:
        out.append({'error': 'ValueError'})
        continue
    # borg's Repository records a local repository as file://<absolute path>
    canonical = Location('file://' + os.path.abspath(loc.path)).canonical_path() if loc.proto == 'file' else loc.canonical_path()
    out.append(dict(proto=loc.proto, user=loc.user, host=loc.host, port=loc.port, path=loc.path, archive=loc.archive,
                    canonical=canonical, keyfile=os.path.basename(loc.to_key_filename()),
                    processed=loc.processed, raw=loc.raw))
print(json.dumps(out))
`;

function ours(text: string, repo: string | null): Outcome {
  try {
    const loc = parseLocation(text, { env: repo === null ? {} : { BORG_REPO: repo } });
    return {
      proto: loc.proto, user: loc.user ?? null, host: loc.host ?? null, port: loc.port ?? null, path: loc.path,
      archive: loc.archive ?? null, canonical: loc.canonicalPath(), keyfile: loc.keyFileName(), processed: loc.processed, raw: loc.raw,
    };
  } catch (error) {
    if (error instanceof InvalidPlaceholder) return { error: 'InvalidPlaceholder' };
    if (error instanceof UsageError) return { error: 'ValueError' };
    throw error;
  }
}

describe('parseLocation', () => {
  it('agrees with borg 1.2.4 Location on every case', () => {
    const expected = python<Outcome[]>(ORACLE, CASES);
    CASES.forEach(([text, repo], i) => {
      assert.deepEqual(ours(text, repo), expected[i], `location ${JSON.stringify(text)} with BORG_REPO=${repo}`);
    });
  });

  it('resolves a relative local repository against the given directory', () => {
    assert.equal(parseLocation('repo').canonicalPath('/base'), '/base/repo');
    assert.equal(parseLocation('repo').canonicalPath(), path.resolve('repo'));
  });

  it('checks archive and protocol requirements like borg location_validator', () => {
    assert.throws(() => parseLocation('/r', { requireArchive: true }), /No archive specified/);
    assert.throws(() => parseLocation('/r::a', { allowArchive: false }), /No archive can be specified/);
    assert.throws(() => parseLocation('h:r', { proto: 'file' }), /must be local/);
    assert.throws(() => parseLocation('/r', { proto: 'ssh' }), /must be remote/);
    assert.equal(parseLocation('/r::a', { requireArchive: true }).archive, 'a');
  });

  it('drops the archive with withoutArchive', () => {
    const loc = parseLocation('ssh://u@h:2/r::a').withoutArchive();
    assert.equal(loc.archive, undefined);
    assert.equal(loc.processed, 'ssh://u@h:2/r');
    assert.equal(loc.canonicalPath(), 'ssh://u@h:2/r');
  });

  it('uses the given time for {now}', () => {
    const now = new Date(Date.UTC(2001, 8, 9, 1, 46, 40));
    assert.equal(parseLocation('/r::{utcnow:%Y-%m-%d}', { now }).archive, '2001-09-09');
  });

  it('truncates key file names to 100 characters', () => {
    assert.equal(parseLocation(`/${'x'.repeat(150)}`).keyFileName().length, 100);
  });

  it('normalises paths like posixpath.normpath', () => {
    const cases = ['', '.', '/', '//', '///', 'a/../..', '/a/../..', 'a//b/./c/', '//a/../b', '../../x'];
    const expected = python<string[]>('import json,sys,posixpath; print(json.dumps([posixpath.normpath(p) for p in json.load(sys.stdin)]))', cases);
    assert.deepEqual(cases.map(normpath), expected);
  });
});
