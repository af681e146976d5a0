// Worker thread entry for `check --verify-data` on a local repository whose segments the repository
// check has just read with all CRC checks: each job names a run of objects in one segment by their
// entry offsets; the worker reads the run with a few large reads and opens every object (MAC,
// decryption, decompression, id hash), so the main thread, busy walking the archives meanwhile,
// neither reads nor copies the data. Before that, while the key is not known yet, they take the
// repository check's pass over the segments (segment-scan.ts).
import { closeSync, fstatSync, openSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { Compressor, parseCompressionSpec } from '../../compress/index.js';
import { Key } from '../../crypto/index.js';
import { reviveKeyMaterial } from '../../crypto/key-material.js';
import { asBuffer } from '../../format/bytes.js';
import { ObjectCodec } from '../../crypto/object-codec.js';
import { IntegrityError } from '../../errors.js';
import { dropPageCache } from '../../platform/page-cache.js';
import { FileWindow } from '../../repository/file-window.js';
import { describePosition, HEADER_SIZE, parseHeader, PUT_HEADER_SIZE, TAG_PUT } from '../../repository/segment-format.js';
import { scanPart } from './segment-scan.js';
import { OBJECT_CORRUPTED, OBJECT_OK, OBJECT_UNREADABLE, type FromVerifyWorker, type RangeJob, type ToVerifyWorker } from './segment-verify-protocol.js';

const port = parentPort;
if (!port) throw new Error('segment-verify-worker must run in a worker thread');

/** Bytes read at a time: a job's run of objects usually takes one or two reads. */
const READ_SIZE = 2 << 20;
/** Each opening leaves dead buffers outside the JS heap: a minor collection now and then keeps RSS low. */
const COLLECT_BYTES = 32 << 20;
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as (options: { type: 'minor' }) => void;

const NO_IVS = {
  take(): bigint {
    throw new Error('The verify worker only reads objects');
  },
};

let codec: ObjectCodec | null = null;
let uncollected = 0;

function verifyRange(job: RangeJob): FromVerifyWorker {
  const count = job.offsets.length;
  const status = new Uint8Array(count);
  const sizes = new Float64Array(count);
  const messages: string[] = [];
  const ids = asBuffer(job.ids);
  const fd = openSync(job.path, 'r');
  try {
    const reader = new FileWindow(fd, fstatSync(fd).size, READ_SIZE);
    for (let i = 0; i < count; i++) {
      const offset = job.offsets[i]!;
      const id = ids.subarray(i * 32, i * 32 + 32);
      const where = (): string => describePosition(job.segment, offset);
      try {
        const head = reader.bytes(offset, PUT_HEADER_SIZE);
        if (head.length < PUT_HEADER_SIZE) throw new IntegrityError(`Segment entry header short read ${where()}`);
        const { size, tag } = parseHeader(head, where);
        if (tag !== TAG_PUT || size < PUT_HEADER_SIZE || !head.subarray(HEADER_SIZE, PUT_HEADER_SIZE).equals(id)) {
          throw new IntegrityError(`Segment entry at ${where()} is not the object the index names`);
        }
        const entry = reader.bytes(offset, size);
        if (entry.length < size) throw new IntegrityError(`Segment entry data short read ${where()}: expected ${size}, got ${entry.length} bytes`);
        sizes[i] = size - PUT_HEADER_SIZE;
        uncollected += size;
        try {
          codec!.verify(id, entry.subarray(PUT_HEADER_SIZE));
        } catch (e) {
          if (!(e instanceof IntegrityError)) throw e;
          status[i] = OBJECT_CORRUPTED;
          messages.push(e.message);
          continue;
        }
        status[i] = OBJECT_OK;
      } catch (e) {
        if (!(e instanceof IntegrityError)) throw e;
        status[i] = OBJECT_UNREADABLE;
        messages.push(e.message);
      }
      if (uncollected >= COLLECT_BYTES) {
        uncollected = 0;
        collectGarbage({ type: 'minor' });
      }
    }
    // As borg drops a segment's pages once read (whole folios only: those inside the run).
    if (count > 0) dropPageCache(fd, job.offsets[0]!, job.offsets[count - 1]! + sizes[count - 1]! + PUT_HEADER_SIZE - job.offsets[0]!);
  } finally {
    closeSync(fd);
  }
  return { task: job.task, status, sizes, messages };
}

port.on('message', (msg: ToVerifyWorker) => {
  if (msg.type === 'init') {
    const key = Key.fromMaterial(msg.mode, reviveKeyMaterial(msg.material));
    codec = new ObjectCodec(key, new Compressor(parseCompressionSpec('lz4')), key.encrypted ? NO_IVS : null);
    return;
  }
  let reply: FromVerifyWorker;
  try {
    if (msg.type === 'scan') {
      const scan = scanPart(msg);
      port.postMessage({ task: msg.task, scan } satisfies FromVerifyWorker, [scan.tags.buffer, scan.ids.buffer, scan.offsets.buffer, scan.sizes.buffer] as ArrayBuffer[]);
      return;
    }
    reply = verifyRange(msg);
  } catch (e) {
    const error = e as NodeJS.ErrnoException;
    reply = { task: msg.task, failure: { message: error.message, ...(error.code !== undefined ? { code: error.code } : {}) } };
  }
  port.postMessage(reply, 'status' in reply ? [reply.status.buffer as ArrayBuffer, reply.sizes.buffer as ArrayBuffer] : []);
});
