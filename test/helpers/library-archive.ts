// Writes an archive with the library writer, item by item, as an attacker or a test needs it
// (items of any shape, each content stored as one chunk) into a new unencrypted repository.
import { saveArchive } from '../../src/archive/archive-writer.js';
import { SimpleChunkStore } from '../../src/archive/chunk-store.js';
import { initRepository } from '../../src/archive/init-repository.js';
import { ItemStreamWriter } from '../../src/archive/item-stream-writer.js';
import { S_IFREG, type Item } from '../../src/archive/item.js';
import { DEFAULT_CHUNKER_PARAMS } from '../../src/chunker/chunker-params.js';
import { parseLocation } from '../../src/remote/location.js';

/** The mtime of every item that does not set its own. */
export const MTIME = 1_700_000_000_123_456_789n;

export type ItemSpec = Omit<Item, 'mtime' | 'uid' | 'gid' | 'mode'> & { mode?: number; content?: string };

/** Creates the repository at `repo` and writes archive `name`; items without a mode are regular files of `fileMode`. */
export async function writeArchive(repo: string, env: Record<string, string | undefined>, name: string, specs: ItemSpec[], fileMode = 0o644): Promise<void> {
  const { session } = await initRepository(parseLocation(repo, { env }), { encryption: 'none', env });
  try {
    const store = new SimpleChunkStore(session.repository, session.writer('lz4'), () => session.prepareWrite());
    const writer = new ItemStreamWriter(store, session.key.chunkSeed);
    for (const { content, ...spec } of specs) {
      const item: Item = { mode: S_IFREG | fileMode, uid: 0, gid: 0, user: 'root', group: 'root', mtime: MTIME, ...spec };
      if (content !== undefined) {
        item.chunks = [await store.storeChunk(Buffer.from(content))];
        item.size ??= Buffer.byteLength(content);
        item.hardlinkMaster ??= false;
      }
      await writer.add(item);
    }
    const items = await writer.finish();
    const now = BigInt(Date.now()) * 1000n;
    const totals = { size: 0, csize: 0, nfiles: 0, sizeParts: 0, csizeParts: 0, nfilesParts: 0 };
    await saveArchive(session, store, { name, items, cmdline: [], start: now, end: now, chunkerParams: DEFAULT_CHUNKER_PARAMS, totals });
    await session.commit();
  } finally {
    await session.close();
  }
}
