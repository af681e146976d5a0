// What route handlers share: the application state and the lookups every route starts with.
import type { Env } from '../../cache/paths.js';
import { WebError } from '../errors.js';
import type { WebAuth } from '../http/auth.js';
import type { RequestContext } from '../http/router.js';
import { sendJson } from '../http/response.js';
import { HANDLED } from '../http/router.js';
import type { Jobs, JobState } from '../jobs.js';
import type { ServedRepository } from '../served-repository.js';

export interface WebApp {
  repositories: ServedRepository[];
  jobs: Jobs;
  auth: WebAuth;
  allowRestore: boolean;
  env: Env;
}

export type Ctx = RequestContext<WebApp>;

export function repositoryOf(ctx: Ctx): ServedRepository {
  const n = Number(ctx.params['repo']);
  const repository = Number.isInteger(n) ? ctx.app.repositories[n] : undefined;
  if (repository === undefined) throw new WebError(404, `No repository number ${ctx.params['repo']}`);
  return repository;
}

/** 202 Accepted with the job that has to finish first (the page waits for it and asks again). */
export function pending(ctx: Ctx, job: JobState): typeof HANDLED {
  sendJson(ctx.res, 202, { pending: true, job });
  return HANDLED;
}

export const isoFromMs = (ms: number) => new Date(ms).toISOString();

/** An item time (ns) as ISO 8601 with nanoseconds. */
export function isoFromNs(ns: bigint | undefined): string | null {
  if (ns === undefined) return null;
  const ms = ns / 1_000_000n;
  const base = new Date(Number(ms)).toISOString();
  const frac = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  return `${base.slice(0, 19)}.${frac.toString().padStart(9, '0')}Z`;
}
