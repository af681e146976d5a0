// The server's ends of the connection as Node streams: responses go to a writable with back-pressure,
// and a broken output (the client is gone) becomes OutputClosed for the request loop instead of an
// error that ends the process at once, so that the repository lock is still released.
import type { EventEmitter } from 'node:events';
import { OutputClosed, type ResponseSink } from './repository-server.js';

export interface OutputStream {
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean | unknown;
}

function isEmitter(x: unknown): x is EventEmitter {
  return typeof (x as EventEmitter).on === 'function' && typeof (x as EventEmitter).listeners === 'function';
}

/**
 * A ResponseSink writing to `stream`. The stream's own 'error' listeners (the program's "reader went
 * away, exit now") are replaced for good: the stream belongs to the server from now on.
 */
export function streamResponseSink(stream: OutputStream): ResponseSink {
  let failure: Error | undefined;
  const waiting = new Set<(error: Error) => void>();
  const onError = (error: Error): void => {
    failure ??= error;
    for (const reject of waiting) reject(error);
    waiting.clear();
  };
  if (isEmitter(stream)) {
    stream.removeAllListeners('error');
    stream.on('error', onError);
  }
  const sink: ResponseSink = (data) =>
    new Promise<void>((resolve, reject) => {
      if (failure !== undefined) {
        reject(new OutputClosed(failure));
        return;
      }
      const fail = (error: Error): void => reject(new OutputClosed(error));
      const ok = stream.write(data, (error) => {
        if (error) onError(error);
      });
      if (ok !== false || !isEmitter(stream)) {
        resolve();
        return;
      }
      // Wait until the client has read enough, or the stream fails.
      waiting.add(fail);
      stream.once('drain', () => {
        waiting.delete(fail);
        resolve();
      });
    });
  return sink;
}
