// Worker thread entry for `check --verify-data`: opens the objects the main thread sends (MAC,
// decryption, decompression, id check) and answers with the integrity error, if any.
import { parentPort } from 'node:worker_threads';
import { Compressor, parseCompressionSpec } from '../../compress/index.js';
import { Key, type KeyMaterial } from '../../crypto/index.js';
import { ObjectCodec } from '../../crypto/object-codec.js';
import { IntegrityError } from '../../errors.js';
import type { FromVerifyWorker, ToVerifyWorker } from './verify-protocol.js';

const port = parentPort;
if (!port) throw new Error('verify-worker must run in a worker thread');

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** Structured cloning turns Buffers into Uint8Arrays: give the key its Buffers back. */
function reviveMaterial(m: KeyMaterial): KeyMaterial {
  return { ...m, encKey: asBuffer(m.encKey), encHmacKey: asBuffer(m.encHmacKey), idKey: asBuffer(m.idKey), repositoryId: asBuffer(m.repositoryId) };
}

const NO_IVS = {
  take(): bigint {
    throw new Error('The verify worker only reads objects');
  },
};

let codec: ObjectCodec | null = null;

port.on('message', (msg: ToVerifyWorker) => {
  if (msg.type === 'init') {
    const key = Key.fromMaterial(msg.mode, reviveMaterial(msg.material));
    codec = new ObjectCodec(key, new Compressor(parseCompressionSpec('lz4')), key.encrypted ? NO_IVS : null);
    return;
  }
  let reply: FromVerifyWorker;
  try {
    codec!.unpack(asBuffer(msg.id), asBuffer(msg.envelope));
    reply = { task: msg.task, error: null };
  } catch (e) {
    if (!(e instanceof IntegrityError)) reply = { task: msg.task, error: String((e as Error).message), bug: true };
    else reply = { task: msg.task, error: e.message };
  }
  port.postMessage(reply);
});
