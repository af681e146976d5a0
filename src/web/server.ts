// The HTTP server of `borg-ts web`: node:http on one address, every request authenticated with
// the access token (see http/auth.ts), URL paths with '.' or '..' segments refused, state-changing
// requests checked against CSRF, JSON for the API, Server-Sent Events for job progress, and the
// built front end from memory. On a loopback address the Host header must name that address
// too, so that a web page cannot reach the server through a rebound DNS name.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Env } from '../cache/paths.js';
import type { LogSink } from '../progress.js';
import { errorResponse, WebError } from './errors.js';
import { WebAuth } from './http/auth.js';
import { checkUrlPath } from './http/request-params.js';
import { SECURITY_HEADERS, sendJson } from './http/response.js';
import { HANDLED, Router } from './http/router.js';
import { Jobs } from './jobs.js';
import type { WebRepository } from './repository-handle.js';
import { apiRoutes, type WebApp } from './routes/index.js';
import { ServedRepository } from './served-repository.js';
import { defaultPublicDir, loadStaticFiles, type StaticFile } from './static-files.js';

export interface WebServerOptions {
  repositories: WebRepository[];
  env: Env;
  token: string;
  allowRestore: boolean;
  host: string;
  port: number;
  /** Where the built front end is; default dist/web/public. */
  publicDir?: string;
  log?: LogSink;
}

const APP_CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const MAX_BODY = 64 * 1024;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class WebServer {
  readonly #server: Server;
  readonly #app: WebApp;
  readonly #auth: WebAuth;
  readonly #static: Map<string, StaticFile>;
  readonly #router: Router<WebApp>;
  #allowedHosts: Set<string> | null = null;
  port = 0;

  private constructor(private readonly options: WebServerOptions) {
    this.#auth = new WebAuth(options.token);
    const jobs = new Jobs();
    this.#app = {
      repositories: options.repositories.map((r, i) => new ServedRepository(i, r, options.env, jobs)),
      jobs, auth: this.#auth, allowRestore: options.allowRestore, env: options.env,
    };
    this.#static = loadStaticFiles(options.publicDir ?? defaultPublicDir());
    this.#router = apiRoutes();
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(options: WebServerOptions): Promise<WebServer> {
    const server = new WebServer(options);
    await new Promise<void>((resolve, reject) => {
      server.#server.once('error', reject);
      server.#server.listen(options.port, options.host, () => resolve());
    });
    server.port = (server.#server.address() as AddressInfo).port;
    server.#auth.setPort(server.port);
    if (isLoopback(options.host)) {
      const names = ['127.0.0.1', 'localhost', '[::1]', options.host.includes(':') ? `[${options.host}]` : options.host];
      server.#allowedHosts = new Set(names.map((n) => `${n}:${server.port}`));
    }
    return server;
  }

  /** The address to open, without the token. */
  get origin(): string {
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${this.port}`;
  }

  /** The URL that logs a browser in. */
  get url(): string {
    return `${this.origin}/?token=${encodeURIComponent(this.options.token)}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await this.#app.jobs.close();
    for (const repository of this.options.repositories) await repository.close();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    try {
      // The raw path: URL parsing would quietly resolve '..' segments.
      checkUrlPath((req.url ?? '/').split('?')[0]!);
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (this.#allowedHosts !== null && !this.#allowedHosts.has(req.headers.host ?? '')) throw new WebError(400, 'Unknown Host header');
      if (url.searchParams.has('token') && (req.method === 'GET' || req.method === 'HEAD')) {
        if (!this.#auth.urlToken(url)) throw new WebError(401, 'Wrong access token');
        url.searchParams.delete('token');
        res.writeHead(303, { Location: `${url.pathname}${url.search}`, 'Set-Cookie': this.#auth.setCookie(), 'Cache-Control': 'no-store' });
        res.end();
        return;
      }
      const method = this.#auth.method(req);
      if (method === null) throw new WebError(401, 'Access token required: open the URL that borg-ts web printed');
      if (url.pathname.startsWith('/api/')) {
        await this.#api(req, res, url, method);
        return;
      }
      this.#serveStatic(req, res, url);
    } catch (error) {
      const { status, message } = errorResponse(error);
      if (status === 500) this.options.log?.log('error', `web: ${req.method} ${req.url}: ${error instanceof Error ? error.message : String(error)}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, status, { error: message });
    }
  }

  async #api(req: IncomingMessage, res: ServerResponse, url: URL, method: 'bearer' | 'cookie'): Promise<void> {
    const found = this.#router.match(req.method ?? 'GET', url.pathname);
    if (found === null) throw new WebError(404, 'No such API endpoint');
    if (found === 'method') throw new WebError(405, 'Method not allowed');
    let body: unknown;
    if (req.method === 'POST') {
      if (method === 'cookie' && !this.#auth.csrfOk(req)) throw new WebError(403, 'Cross-site request refused (missing or wrong CSRF token)');
      body = await readJson(req);
    }
    const result = await found.handler({ req, res, url, params: found.params, app: this.#app, body });
    if (result === HANDLED) return;
    sendJson(res, 200, result);
  }

  #serveStatic(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new WebError(405, 'Method not allowed');
    const name = url.pathname === '/' ? 'index.html' : url.pathname.startsWith('/static/') ? url.pathname.slice('/static/'.length) : null;
    const file = name === null ? undefined : this.#static.get(name);
    if (file === undefined) throw new WebError(404, 'Not found');
    res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.body.length, 'Content-Security-Policy': APP_CSP, 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) throw new WebError(415, 'Request body must be JSON');
  const parts: Buffer[] = [];
  let length = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    length += part.length;
    if (length > MAX_BODY) throw new WebError(413, 'Request body too large');
    parts.push(part);
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
  } catch {
    throw new WebError(400, 'Request body is not valid JSON');
  }
}
