// Who may talk to the server: whoever holds the access token. It arrives once in the URL the
// server prints (`/?token=...`), which sets an HttpOnly, SameSite=Strict cookie and redirects to
// a URL without it; programs send `Authorization: Bearer TOKEN` instead. Requests that change
// anything (POST) made with the cookie must also come from the page itself: same Origin and the
// CSRF token the page got from /api/session in a header, which other sites cannot read or send.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const CSRF_HEADER = 'x-borgts-csrf';

export type AuthMethod = 'bearer' | 'cookie' | null;

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookies(req: IncomingMessage): Map<string, string> {
  const result = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) result.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return result;
}

export function randomToken(): string {
  return randomBytes(24).toString('base64url');
}

export class WebAuth {
  readonly csrf = randomToken();
  /** Cookies are not separated by port: each server names its own. */
  cookieName = 'borgts_token';

  constructor(readonly token: string) {}

  setPort(port: number): void {
    this.cookieName = `borgts_token_${port}`;
  }

  /** How the request proved it holds the token, or null. */
  method(req: IncomingMessage): AuthMethod {
    const header = req.headers.authorization;
    if (header !== undefined && /^Bearer /i.test(header) && sameSecret(header.slice(7).trim(), this.token)) return 'bearer';
    const cookie = cookies(req).get(this.cookieName);
    if (cookie !== undefined && sameSecret(cookie, this.token)) return 'cookie';
    return null;
  }

  /** Whether `?token=` of a URL is the token. */
  urlToken(url: URL): boolean {
    const given = url.searchParams.get('token');
    return given !== null && sameSecret(given, this.token);
  }

  setCookie(): string {
    return `${this.cookieName}=${this.token}; HttpOnly; SameSite=Strict; Path=/`;
  }

  /** A state-changing request sent with the cookie must be same-origin and carry the CSRF token. */
  csrfOk(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) return false;
    const given = req.headers[CSRF_HEADER];
    return typeof given === 'string' && sameSecret(given, this.csrf);
  }
}
