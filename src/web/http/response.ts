// Writing responses: JSON, and byte streams that respect backpressure and stop when the client
// goes away. Every response carries the same protective headers.
import type { ServerResponse } from 'node:http';

export const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** For archived contents shown in the browser: never run as part of the page. */
export const CONTENT_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'";

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
  res.end(body);
}

/** A `Content-Disposition` value that survives any file name. */
export function disposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * A sink writing to `res`: resolves when the data may be followed by more (after 'drain' when the
 * socket buffer is full); rejects once the client has gone away, which stops the producer.
 */
export function responseSink(res: ServerResponse, abort: AbortController): (data: Uint8Array) => Promise<void> {
  res.on('close', () => {
    if (!res.writableFinished) abort.abort(new Error('The client closed the connection'));
  });
  return (data) => {
    abort.signal.throwIfAborted();
    if (res.write(data)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        abort.signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        res.off('drain', onDrain);
        reject(abort.signal.reason);
      };
      res.once('drain', onDrain);
      abort.signal.addEventListener('abort', onAbort, { once: true });
    });
  };
}
