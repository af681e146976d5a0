// Reading request parameters safely. Archive paths are relative, '/'-separated, and may not
// contain empty, '.' or '..' components or NUL: anything else is refused with 400, so no URL can
// name something outside an archive (or, for restores, outside the chosen directory).
import { isAbsolute } from 'node:path';
import { WebError } from '../errors.js';

/** An archive path from a query parameter: '' is the archive root. */
export function archivePath(value: string | null): string {
  if (value === null || value === '' || value === '/') return '';
  const path = value.replace(/^\/+/, '').replace(/\/+$/, '');
  checkParts(path.split('/'), value);
  return path;
}

function checkParts(parts: readonly string[], original: string): void {
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..' || part.includes('\0')) throw new WebError(400, `Invalid path '${original}': empty, '.' and '..' components are not allowed`);
  }
}

/** An absolute directory on the server (restore target), without '.' or '..' components. */
export function serverPath(value: unknown): string {
  if (typeof value !== 'string' || !isAbsolute(value)) throw new WebError(400, 'The destination must be an absolute path');
  const parts = value.split('/').slice(1);
  if (parts.at(-1) === '') parts.pop();
  if (parts.length > 0) checkParts(parts, value);
  return `/${parts.join('/')}`;
}

/** Refuses a URL whose path has '.' or '..' segments (raw or percent-encoded). */
export function checkUrlPath(pathname: string): void {
  for (const segment of pathname.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new WebError(400, 'Invalid URL encoding');
    }
    if (decoded === '.' || decoded === '..' || decoded.includes('/') || decoded.includes('\0')) throw new WebError(400, "Invalid URL: '.' and '..' segments are not allowed");
  }
}

export function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') throw new WebError(400, `Missing parameter '${name}'`);
  return value;
}

/** An optional non-negative number. */
export function optionalNumber(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new WebError(400, `Parameter '${name}' must be a non-negative number`);
  return n;
}

/** An optional date (ISO 8601 or ms since the epoch) as ms since the epoch. */
export function optionalTime(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null || value === '') return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new WebError(400, `Parameter '${name}' must be a date`);
  return ms;
}

export function oneOf<T extends string>(params: URLSearchParams, name: string, choices: readonly T[], fallback: T): T {
  const value = params.get(name);
  if (value === null || value === '') return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new WebError(400, `Parameter '${name}' must be one of ${choices.join(', ')}`);
  return value as T;
}
