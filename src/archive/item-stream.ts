// The item stream of an archive (spec §5.4): items packed back to back, cut into chunks with the
// items chunker and stored as objects; the archive metadata lists their ids. Reading fetches the
// chunks in order (pipelined by the repository) and unpacks items as their bytes arrive, so items
// may span chunk boundaries and memory stays bounded by one chunk plus one item.
import { MsgpackError, Unpacker, type MsgValue } from '../format/msgpack.js';
import type { ObjectCodec } from '../crypto/object-codec.js';
import type { Repository } from '../repository/repository.js';
import { BorgError } from '../errors.js';
import { itemFromMsg, type Item } from './item.js';

/** Item maps are small; these bounds keep a hostile stream from exhausting memory. */
const ITEM_LIMITS = { maxDepth: 8, maxStrLen: 64 * 1024 * 1024 };

/** The raw item maps of a stream, in order. */
export async function* iterItemMaps(repository: Repository, codec: ObjectCodec, itemIds: Buffer[]): AsyncIterable<MsgValue> {
  const unpacker = new Unpacker(ITEM_LIMITS);
  let index = 0;
  for await (const envelope of repository.getMany(itemIds)) {
    unpacker.feed(codec.unpack(itemIds[index++]!, envelope));
    let values: MsgValue[];
    try {
      values = [...unpacker];
    } catch (e) {
      // Malformed item bytes are damaged (or hostile) archive data, not a bug.
      if (e instanceof MsgpackError) throw new BorgError(`Archive item stream is damaged: ${e.message}`, { code: 'IntegrityError' });
      throw e;
    }
    yield* values;
  }
  if (unpacker.pending > 0) throw new BorgError('Archive item stream is truncated: it ends inside an item', { code: 'IntegrityError' });
}

/** The items of a stream, decoded. */
export async function* iterItems(repository: Repository, codec: ObjectCodec, itemIds: Buffer[]): AsyncIterable<Item> {
  for await (const m of iterItemMaps(repository, codec, itemIds)) yield itemFromMsg(m);
}
