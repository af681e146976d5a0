// The tar codec against Python's tarfile (what borg uses): GNU headers byte for byte as
// TarInfo.tobuf(GNU_FORMAT) makes them (long names and links, base-256 numbers, devices,
// non-UTF-8 names), and tar files of every flavour (GNU tar's gnu, pax, ustar, v7, oldgnu and
// sparse ones, and Python's pax with fractional mtimes) read into the same members and contents
// as tarfile reads them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, symlinkSync, truncateSync, writeFileSync, linkSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';

import { encodeFsString } from '../../src/format/surrogate-escape.js';
import { encodeGnuHeader, TarType } from '../../src/archive/tar/tar-header.js';
import { TarReader } from '../../src/archive/tar/tar-reader.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';

const PYTHON = '/usr/bin/python3';

interface HeaderCase {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

const HEADER_SCRIPT = `
import json, sys, tarfile
out = []
for c in json.load(sys.stdin):
    t = tarfile.TarInfo()
    for k in ('name', 'mode', 'uid', 'gid', 'size', 'mtime', 'linkname', 'uname', 'gname', 'devmajor', 'devminor'):
        v = c[k]
        setattr(t, k, v)
    t.type = c['type'].encode('latin1')
    out.append(t.tobuf(tarfile.GNU_FORMAT, 'utf-8', 'surrogateescape').hex())
print(json.dumps(out))
`;

const READ_SCRIPT = `
import hashlib, json, sys, tarfile
out = []
with tarfile.open(sys.argv[1], 'r|') as tar:
    for t in tar:
        data = tar.extractfile(t).read() if t.isreg() else b''
        out.append(dict(name=t.name.encode('utf-8', 'surrogateescape').hex(), linkname=t.linkname, mode=t.mode, uid=t.uid, gid=t.gid,
                        size=t.size, mtime=t.mtime, type=t.type.decode('latin1'), uname=t.uname, gname=t.gname,
                        devmajor=t.devmajor, devminor=t.devminor, sha=hashlib.sha256(data).hexdigest()))
print(json.dumps(out))
`;

const base: HeaderCase = { name: 'f', type: '0', mode: 0o644, uid: 1000, gid: 100, size: 0, mtime: 1_700_000_000, linkname: '', uname: 'user', gname: 'users', devmajor: 0, devminor: 0 };

const HEADER_CASES: HeaderCase[] = [
  { ...base, name: 'plain/file.txt', size: 12345 },
  { ...base, name: `${'long-'.repeat(30)}name`, size: 1 },
  { ...base, name: 'a'.repeat(100), type: '5' }, // the directory slash makes it long
  { ...base, name: 'link', type: '2', linkname: `${'target/'.repeat(20)}x` },
  { ...base, name: 'hard', type: '1', linkname: 'plain/file.txt', uname: 'ünï', gname: '' },
  { ...base, name: 'dev', type: '3', devmajor: 4095, devminor: 1_048_575 },
  { ...base, name: 'blk', type: '4', devmajor: 8, devminor: 300 },
  { ...base, name: 'big-ids', uid: 3_000_000, gid: 2 ** 40, size: 9_000_000_000, mtime: 2 ** 40 },
  { ...base, name: 'old', mtime: -5 },
  { ...base, name: 'non-utf8-\udcff\udce9', type: '6', mode: 0o7777 },
];

describe('tar headers and members as Python tarfile makes and reads them', () => {
  let work: string;
  before(() => {
    work = makeTempDir();
  });
  after(() => removeTemp(work));

  it('encodes GNU headers byte for byte like tarfile', () => {
    const expected = JSON.parse(execFileSync(PYTHON, ['-c', HEADER_SCRIPT], { input: JSON.stringify(HEADER_CASES) }).toString()) as string[];
    HEADER_CASES.forEach((c, i) => {
      const ours = encodeGnuHeader({
        ...c, name: encodeFsString(c.name), linkname: encodeFsString(c.linkname), uname: encodeFsString(c.uname), gname: encodeFsString(c.gname),
        type: c.type.charCodeAt(0),
      });
      assert.equal(ours.toString('hex'), expected[i], c.name);
    });
    assert.equal(TarType.DIR, '5'.charCodeAt(0));
  });

  it('reads what GNU tar and Python write into the members tarfile sees', async () => {
    const tree = join(work, 'tree');
    mkdirSync(join(tree, `${'deep-directory-name/'.repeat(6)}`), { recursive: true });
    writeFileSync(join(tree, `${'deep-directory-name/'.repeat(6)}${'file-with-a-long-name-'.repeat(4)}.txt`), 'deep\n');
    writeFileSync(join(tree, 'ünïcødé'), Buffer.alloc(70_000, 7));
    writeFileSync(Buffer.concat([Buffer.from(join(tree, 'raw-')), Buffer.from([0xff])]), 'x');
    linkSync(join(tree, 'ünïcødé'), join(tree, 'hardlink'));
    symlinkSync(`${'../'.repeat(40)}target`, join(tree, 'symlink'));
    writeFileSync(join(tree, 'sparse'), '');
    truncateSync(join(tree, 'sparse'), 3_000_000);
    execFileSync('sh', ['-c', `printf data | dd of=${join(tree, 'sparse')} bs=1 seek=1500000 conv=notrunc status=none`]);
    const tars: string[] = [];
    for (const format of ['gnu', 'pax', 'ustar', 'v7', 'oldgnu']) {
      const file = join(work, `${format}.tar`);
      const names = format === 'ustar' || format === 'v7' ? ['ünïcødé', 'hardlink'] : ['.'];
      execFileSync('tar', ['--format', format, ...(names.length === 1 ? ['-S'] : []), '-cf', file, '-C', tree, ...names]);
      tars.push(file);
    }
    const fractional = join(work, 'python-pax.tar');
    execFileSync(PYTHON, ['-c', `
import io, tarfile
with tarfile.open('${fractional}', 'w', format=tarfile.PAX_FORMAT) as tar:
    t = tarfile.TarInfo('frac'); t.mtime = 1700000000.123456789; t.uid = 9999999; t.size = 3
    tar.addfile(t, io.BytesIO(b'abc'))
    d = tarfile.TarInfo('dir/'); d.type = tarfile.DIRTYPE; d.mtime = 5
    tar.addfile(d)
`]);
    tars.push(fractional);
    for (const file of tars) {
      const expected = JSON.parse(execFileSync(PYTHON, ['-c', READ_SCRIPT, file]).toString()) as Array<Record<string, unknown>>;
      const reader = new TarReader(createReadStream(file) as AsyncIterable<Uint8Array>);
      const seen: Array<Record<string, unknown>> = [];
      for (let e = await reader.next(); e !== null; e = await reader.next()) {
        const hash = createHash('sha256');
        if ([TarType.REG, TarType.AREG, TarType.CONT, TarType.GNU_SPARSE].includes(e.type as never)) for await (const piece of reader.content()) hash.update(piece);
        else hash.update('');
        seen.push({
          name: encodeFsString(e.name).toString('hex'), linkname: e.linkname, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size,
          mtime: Number(e.mtime), type: String.fromCharCode(e.type), uname: e.uname, gname: e.gname, devmajor: e.devmajor, devminor: e.devminor,
          sha: hash.digest('hex'),
        });
      }
      assert.deepEqual(seen, expected, file);
    }
  });

  it('refuses what is not a tar file the way tarfile does', async () => {
    const read = async (data: Buffer) => {
      const reader = new TarReader(Readable.from([data]));
      while ((await reader.next()) !== null);
    };
    await assert.rejects(read(Buffer.alloc(0)), /Cannot read the tar file: empty file/);
    await assert.rejects(read(Buffer.alloc(1000, 1)), /Cannot read the tar file: (bad checksum|invalid header)/);
  });
});
