// Worker thread entry for extract and check --verify-data: opens the objects the main thread sends
// (MAC, decryption, decompression, id check) and sends the plaintexts back, one buffer per batch,
// or for verification only which ones failed. A small file to extract can come whole: the worker
// writes it itself once its chunks are open, so its plaintexts never travel back.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { Compressor, parseCompressionSpec } from '../compress/index.js';
import { Key, type KeyMaterial } from '../crypto/index.js';
import { ObjectCodec } from '../crypto/object-codec.js';
import { BorgError, IntegrityError } from '../errors.js';
import { writeSync } from 'node:fs';
import { isAllZero } from './extract/file-writer.js';
import { writeNewFileSync, type SystemError } from '../platform/native.js';
import { SyncEntryReader } from '../repository/entry-reader-sync.js';
import { FILE_FIELDS, JOB_FIELDS, LOCATION_FIELDS, RESULT_FIELDS, TARGET_FIELDS, type FromOpenWorker, type OpenFailure, type ToOpenWorker } from './open-protocol.js';

const port = parentPort;
if (!port) throw new Error('open-worker must run in a worker thread');

/**
 * Each opening leaves a dead decryption output outside the JS heap, and few JS objects: the young
 * generation would fill (and free them) only after many megabytes. When verifying or writing here, a
 * minor collection after every COLLECT_BYTES keeps that garbage (and the peak RSS) small; it costs
 * well under a millisecond, as almost nothing survives.
 */
const COLLECT_BYTES = 2 << 20;
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as (options: { type: 'minor' }) => void;
let uncollected = 0;

/** Counts bytes of plaintext made and dropped here (verified or written); collects now and then. */
function dropped(bytes: number): void {
  uncollected += bytes;
  if (uncollected >= COLLECT_BYTES) {
    uncollected = 0;
    collectGarbage({ type: 'minor' });
  }
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** Structured cloning turns Buffers into Uint8Arrays: give the key its Buffers back. */
function reviveMaterial(m: KeyMaterial): KeyMaterial {
  return { ...m, encKey: asBuffer(m.encKey), encHmacKey: asBuffer(m.encHmacKey), idKey: asBuffer(m.idKey), repositoryId: asBuffer(m.repositoryId) };
}

const NO_IVS = {
  take(): bigint {
    throw new Error('The open worker only reads objects');
  },
};

/** Plaintexts this big that own their memory are transferred as they are; smaller ones are packed. */
const OWN_BUFFER_MIN = 256 * 1024;

let codec: ObjectCodec | null = null;
const segments = new SyncEntryReader();

const NS = 1_000_000_000n;

/** A file of the batch being gathered: its plaintexts so far, or the failure that ended it. */
interface FileInBatch {
  row: number;
  last: number;
  plaintexts: Buffer[];
  bytes: number;
  failed: boolean;
}

/** Which file (index into `files`) each job belongs to, -1 for a plain job. */
function filesOfJobs(files: Float64Array | undefined, count: number): { of: Int32Array; list: FileInBatch[] } {
  const of = new Int32Array(count).fill(-1);
  const list: FileInBatch[] = [];
  if (files === undefined) return { of, list };
  for (let row = 0; row < files.length; row += FILE_FIELDS) {
    const first = files[row + 1]!;
    const jobs = files[row + 2]!;
    for (let j = first; j < first + jobs; j++) of[j] = list.length;
    list.push({ row, last: first + jobs - 1, plaintexts: [], bytes: 0, failed: false });
  }
  return { of, list };
}

/**
 * Opens job `j`: its envelope is in the batch, or (a local repository) read from its segment file
 * here. A plaintext in the reader's buffer (stored uncompressed) is copied out of it.
 */
function unpackJob(msg: { locations?: Float64Array | undefined }, input: Buffer, j: number, idAt: number, envAt: number, envLength: number): Buffer {
  const id = input.subarray(idAt, idAt + 32);
  const l = j * LOCATION_FIELDS;
  const pathAt = msg.locations?.[l] ?? -1;
  if (pathAt < 0) return codec!.unpack(id, input.subarray(envAt, envAt + envLength));
  const path = input.toString('utf8', pathAt, pathAt + msg.locations![l + 1]!);
  const data = codec!.unpack(id, segments.read(path, msg.locations![l + 2]!, msg.locations![l + 3]!, id));
  return segments.holds(data) ? Buffer.from(data) : data;
}

/** Writes all of `data` at `position` of `fd` (short writes continue). */
function writeAt(fd: number, data: Buffer, position: number): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, position + done);
}

function systemFailure(task: number, e: unknown): OpenFailure {
  const error = e as SystemError;
  if (typeof error.errno === 'number' && typeof error.syscall === 'string') return { task, errno: error.errno, syscall: error.syscall };
  return { task, bug: String(error.message) };
}

/** Writes a gathered file; a failed system call is its failure. */
function writeFile(files: Float64Array, input: Buffer, file: FileInBatch, written: number[], failures: OpenFailure[]): void {
  const r = file.row;
  const task = files[r]!;
  const path = input.subarray(files[r + 3]!, files[r + 3]! + files[r + 4]!);
  const atime = BigInt(files[r + 8]!) * NS + BigInt(files[r + 9]!);
  const mtime = BigInt(files[r + 10]!) * NS + BigInt(files[r + 11]!);
  try {
    writeNewFileSync(path, file.plaintexts, files[r + 5]!, files[r + 6]!, files[r + 7]!, atime, mtime);
    written.push(task, file.bytes);
    dropped(file.bytes);
  } catch (e) {
    failures.push(systemFailure(task, e));
  }
  file.plaintexts = [];
}

port.on('message', (msg: ToOpenWorker) => {
  if (msg.type === 'init') {
    const key = Key.fromMaterial(msg.mode, reviveMaterial(msg.material));
    codec = new ObjectCodec(key, new Compressor(parseCompressionSpec('lz4')), key.encrypted ? NO_IVS : null);
    return;
  }
  const input = Buffer.from(msg.data);
  const count = msg.jobs.length / JOB_FIELDS;
  const results = new Float64Array(count * RESULT_FIELDS);
  const failures: OpenFailure[] = [];
  const buffers: ArrayBuffer[] = [];
  const files = filesOfJobs(msg.files, count);
  const written: number[] = [];
  /** Plaintexts in pooled or shared memory, copied into one packed buffer at the end. */
  const packed: Array<{ data: Buffer; row: number }> = [];
  let packedBytes = 0;
  let done = 0;
  for (let j = 0; j < count; j++) {
    const task = msg.jobs[j * JOB_FIELDS]!;
    const idAt = msg.jobs[j * JOB_FIELDS + 1]!;
    const envAt = msg.jobs[j * JOB_FIELDS + 2]!;
    const envLength = msg.jobs[j * JOB_FIELDS + 3]!;
    const fileIndex = files.of[j]!;
    if (fileIndex >= 0) {
      const file = files.list[fileIndex]!;
      if (!file.failed) {
        try {
          const data = unpackJob(msg, input, j, idAt, envAt, envLength);
          file.plaintexts.push(data);
          file.bytes += data.length;
        } catch (e) {
          file.failed = true;
          file.plaintexts = [];
          const fileTask = msg.files![file.row]!;
          if (e instanceof BorgError) failures.push({ task: fileTask, error: e.toJSON(), integrity: e instanceof IntegrityError });
          else failures.push(systemFailure(fileTask, e));
        }
        if (j === file.last && !file.failed) writeFile(msg.files!, input, file, written, failures);
      }
      continue;
    }
    try {
      if (!msg.keep) {
        const id = input.subarray(idAt, idAt + 32);
        const envelope = input.subarray(envAt, envAt + envLength);
        // Verification only: the plaintext is hashed and dropped (no copy of it is made).
        codec!.verify(id, envelope);
        results[done++ * RESULT_FIELDS] = task;
        dropped(envLength);
        continue;
      }
      const data = unpackJob(msg, input, j, idAt, envAt, envLength);
      const t = j * TARGET_FIELDS;
      const fd = msg.targets?.[t] ?? -1;
      if (fd >= 0 && data.length === msg.targets![t + 2]) {
        // Written where it belongs in its file (an all-zero chunk of a sparse extraction: a hole).
        if (msg.targets![t + 3] !== 1 || !isAllZero(data)) {
          try {
            writeAt(fd, data, msg.targets![t + 1]!);
          } catch (e) {
            failures.push(systemFailure(task, e));
            continue;
          }
        }
        const row = done++ * RESULT_FIELDS;
        results[row] = task;
        results[row + 1] = -1;
        results[row + 3] = data.length;
        dropped(data.length);
        continue;
      }
      const row = done++ * RESULT_FIELDS;
      results[row] = task;
      results[row + 3] = data.length;
      if (data.length >= OWN_BUFFER_MIN && data.byteOffset === 0 && data.buffer.byteLength === data.length && data.buffer instanceof ArrayBuffer) {
        results[row + 1] = buffers.length;
        results[row + 2] = 0;
        buffers.push(data.buffer);
      } else {
        packed.push({ data, row });
        packedBytes += data.length;
      }
    } catch (e) {
      if (e instanceof BorgError) failures.push({ task, error: e.toJSON(), integrity: e instanceof IntegrityError });
      else failures.push(systemFailure(task, e));
    }
  }
  segments.closeAll();
  if (packed.length > 0) {
    const out = new Uint8Array(packedBytes);
    let at = 0;
    for (const { data, row } of packed) {
      out.set(data, at);
      results[row + 1] = buffers.length;
      results[row + 2] = at;
      at += data.length;
    }
    buffers.push(out.buffer);
  }
  // Nothing returned points into the input (plaintexts that are views are packed, i.e. copied): it
  // goes back to the main thread for the next batch.
  const reply: FromOpenWorker = { results: results.subarray(0, done * RESULT_FIELDS), buffers, failures, input: msg.data };
  if (written.length > 0) reply.written = new Float64Array(written);
  port.postMessage(reply, [...buffers, msg.data]);
});
