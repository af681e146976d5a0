// Talking to the server: JSON GETs, POSTs with the CSRF token, and answers that say "wait for
// this job first" (202), which are retried once the job has finished (its progress shows in the
// jobs area meanwhile).
import { waitForJob, type Job } from './jobs.js';

export interface Session {
  csrf: string;
  allowRestore: boolean;
  repositories: Array<{ number: number; location: string; id: string }>;
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

let csrf = '';

export function setCsrf(token: string): void {
  csrf = token;
}

async function parse<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) throw new ApiError(response.status, body.error ?? `${response.status} ${response.statusText}`);
  return body as T;
}

/** GET `path` (with `params`), waiting for and retrying after any job the server asks to finish first. */
export async function get<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  for (;;) {
    const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (response.status === 202) {
      const { job } = (await response.json()) as { job: Job };
      await waitForJob(job);
      continue;
    }
    return parse<T>(response);
  }
}

export async function post<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-BorgTs-Csrf': csrf, Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return parse<T>(response);
}

/** A URL of the API, for links (downloads, images). */
export function apiUrl(path: string, params: Record<string, string | number | undefined> = {}): string {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.pathname + url.search;
}

export const repoPath = (repo: number) => `/api/repos/${repo}`;
export const archivePathUrl = (repo: number, archive: string) => `/api/repos/${repo}/archives/${encodeURIComponent(archive)}`;
