// A small router: routes are a method and a path pattern with :params (each matching one
// percent-decoded segment). A handler returns a value to send as JSON, or HANDLED when it wrote
// the response itself (streams, events).
import type { IncomingMessage, ServerResponse } from 'node:http';

export const HANDLED = Symbol('handled');

export interface RequestContext<App> {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  app: App;
  /** The parsed JSON body of a POST. */
  body: unknown;
}

export type Handler<App> = (ctx: RequestContext<App>) => Promise<unknown> | unknown;

interface Route<App> {
  method: string;
  parts: string[];
  handler: Handler<App>;
}

export class Router<App> {
  #routes: Route<App>[] = [];

  get(pattern: string, handler: Handler<App>): this {
    return this.#add('GET', pattern, handler);
  }

  post(pattern: string, handler: Handler<App>): this {
    return this.#add('POST', pattern, handler);
  }

  #add(method: string, pattern: string, handler: Handler<App>): this {
    this.#routes.push({ method, parts: pattern.split('/').slice(1), handler });
    return this;
  }

  /** The handler and params for a request, 'method' when only the method is wrong, or null. */
  match(method: string, pathname: string): { handler: Handler<App>; params: Record<string, string> } | 'method' | null {
    const segments = pathname.split('/').slice(1).map((s) => decodeURIComponent(s));
    let wrongMethod = false;
    for (const route of this.#routes) {
      if (route.parts.length !== segments.length) continue;
      const params: Record<string, string> = {};
      const ok = route.parts.every((part, i) => {
        if (part.startsWith(':')) {
          params[part.slice(1)] = segments[i]!;
          return segments[i] !== '';
        }
        return part === segments[i];
      });
      if (!ok) continue;
      if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) {
        wrongMethod = true;
        continue;
      }
      return { handler: route.handler, params };
    }
    return wrongMethod ? 'method' : null;
  }
}
