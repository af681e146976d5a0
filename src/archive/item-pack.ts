// Packs an item straight into an encoder, keys in borg's sorted order, without the intermediate
// map of itemToMsg: `create` packs one item per file, and for unchanged files this was a good part
// of the work. The bytes are exactly those of encode(itemToMsg(item), { sortKeys: true }); items
// with xattrs or unknown keys (rare) take that general path.
import { type Encoder } from '../format/msgpack.js';
import { encodeFsString } from '../format/surrogate-escape.js';
import { itemToMsg, type ChunkRef, type Item } from './item.js';

/** The keys this packer writes, in the order it writes them: sorted, as borg's StableDict. */
export const PACKED_KEYS = [
  'acl_access', 'acl_default', 'acl_extended', 'acl_nfs4', 'atime', 'birthtime', 'bsdflags', 'chunks', 'chunks_healthy',
  'ctime', 'gid', 'group', 'hardlink_master', 'mode', 'mtime', 'part', 'path', 'rdev', 'size', 'source', 'uid', 'user',
] as const;

function chunkList(enc: Encoder, chunks: readonly ChunkRef[]): void {
  enc.arrayHeader(chunks.length);
  for (const c of chunks) {
    enc.arrayHeader(3);
    enc.raw(c.id);
    enc.value(c.size);
    enc.value(c.csize);
  }
}

function fsText(enc: Encoder, text: string | null): void {
  if (text === null) enc.value(null);
  else enc.raw(encodeFsString(text));
}

/** Appends one item to `enc` (which must sort keys, as item streams do). */
export function packItem(enc: Encoder, item: Item): void {
  if (item.xattrs !== undefined || item.extra !== undefined) {
    enc.value(itemToMsg(item));
    return;
  }
  const n = 3 + // path, mode, mtime
    (item.aclAccess !== undefined ? 1 : 0) + (item.aclDefault !== undefined ? 1 : 0) +
    (item.aclExtended !== undefined ? 1 : 0) + (item.aclNfs4 !== undefined ? 1 : 0) +
    (item.atime !== undefined ? 1 : 0) + (item.birthtime !== undefined ? 1 : 0) + (item.bsdflags !== undefined ? 1 : 0) +
    (item.chunks !== undefined ? 1 : 0) + (item.chunksHealthy !== undefined ? 1 : 0) + (item.ctime !== undefined ? 1 : 0) +
    (item.gid !== undefined ? 1 : 0) + (item.group !== undefined ? 1 : 0) + (item.hardlinkMaster !== undefined ? 1 : 0) +
    (item.part !== undefined ? 1 : 0) + (item.rdev !== undefined ? 1 : 0) + (item.size !== undefined ? 1 : 0) +
    (item.source !== undefined ? 1 : 0) + (item.uid !== undefined ? 1 : 0) + (item.user !== undefined ? 1 : 0);
  enc.mapHeader(n);
  if (item.aclAccess !== undefined) { enc.latin1Key('acl_access'); enc.value(item.aclAccess); }
  if (item.aclDefault !== undefined) { enc.latin1Key('acl_default'); enc.value(item.aclDefault); }
  if (item.aclExtended !== undefined) { enc.latin1Key('acl_extended'); enc.value(item.aclExtended); }
  if (item.aclNfs4 !== undefined) { enc.latin1Key('acl_nfs4'); enc.value(item.aclNfs4); }
  if (item.atime !== undefined) { enc.latin1Key('atime'); enc.bigint(item.atime); }
  if (item.birthtime !== undefined) { enc.latin1Key('birthtime'); enc.bigint(item.birthtime); }
  if (item.bsdflags !== undefined) { enc.latin1Key('bsdflags'); enc.value(item.bsdflags); }
  if (item.chunks !== undefined) { enc.latin1Key('chunks'); chunkList(enc, item.chunks); }
  if (item.chunksHealthy !== undefined) { enc.latin1Key('chunks_healthy'); chunkList(enc, item.chunksHealthy); }
  if (item.ctime !== undefined) { enc.latin1Key('ctime'); enc.bigint(item.ctime); }
  if (item.gid !== undefined) { enc.latin1Key('gid'); enc.value(item.gid); }
  if (item.group !== undefined) { enc.latin1Key('group'); fsText(enc, item.group); }
  if (item.hardlinkMaster !== undefined) { enc.latin1Key('hardlink_master'); enc.value(item.hardlinkMaster); }
  enc.latin1Key('mode');
  enc.value(item.mode);
  enc.latin1Key('mtime');
  enc.bigint(item.mtime);
  if (item.part !== undefined) { enc.latin1Key('part'); enc.value(item.part); }
  enc.latin1Key('path');
  enc.raw(encodeFsString(item.path));
  if (item.rdev !== undefined) { enc.latin1Key('rdev'); enc.value(item.rdev); }
  if (item.size !== undefined) { enc.latin1Key('size'); enc.value(item.size); }
  if (item.source !== undefined) { enc.latin1Key('source'); fsText(enc, item.source); }
  if (item.uid !== undefined) { enc.latin1Key('uid'); enc.value(item.uid); }
  if (item.user !== undefined) { enc.latin1Key('user'); fsText(enc, item.user); }
}
