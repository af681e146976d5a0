// Live progress of the server's jobs (index building, statistics, restores), pushed over
// Server-Sent Events and shown in a live region, so screen readers hear about it too.
import { clear, h } from './dom.js';

export interface Job {
  id: string;
  kind: string;
  title: string;
  status: 'running' | 'done' | 'failed';
  current: number;
  total: number;
  message: string;
  error?: string;
  result?: unknown;
}

const jobs = new Map<string, Job>();
const waiters = new Map<string, Array<(job: Job) => void>>();
let area: HTMLElement | null = null;

export function startJobEvents(container: HTMLElement): void {
  area = container;
  const source = new EventSource('/api/events');
  source.addEventListener('job', (event) => update(JSON.parse((event as MessageEvent<string>).data) as Job));
}

function update(job: Job): void {
  const previous = jobs.get(job.id);
  if (previous !== undefined && previous.status !== 'running' && job.status === 'running') return;
  jobs.set(job.id, job);
  if (job.status !== 'running') {
    for (const resolve of waiters.get(job.id) ?? []) resolve(job);
    waiters.delete(job.id);
  }
  render();
}

function render(): void {
  if (area === null) return;
  const shown = [...jobs.values()].filter((j) => j.status !== 'done' || j.kind === 'restore').slice(-5);
  clear(area, ...shown.map((job) => {
    const percent = job.total > 0 ? Math.round((100 * job.current) / job.total) : null;
    return h('div', { class: `job ${job.status}`, 'data-job': job.id, 'data-status': job.status },
      job.status === 'running' ? h('progress', { max: 100, value: percent ?? undefined, 'aria-label': job.title }) : null,
      `${job.title}: `,
      job.status === 'running' ? `${percent === null ? '' : `${percent}% `}${job.message}` : job.status === 'done' ? 'done' : `failed: ${job.error ?? ''}`);
  }));
}

/** Resolves when `job` has ended; rejects when it failed. */
export function waitForJob(job: Job): Promise<Job> {
  update(job);
  const known = jobs.get(job.id)!;
  const settle = (j: Job) => (j.status === 'failed' ? Promise.reject(new Error(j.error ?? 'job failed')) : Promise.resolve(j));
  if (known.status !== 'running') return settle(known);
  return new Promise<Job>((resolve) => {
    const list = waiters.get(job.id) ?? [];
    list.push(resolve);
    waiters.set(job.id, list);
    // Events may have been missed (reconnects): ask now and then as well.
    const poll = setInterval(async () => {
      const response = await fetch(`/api/jobs/${job.id}`, { credentials: 'same-origin' }).catch(() => null);
      if (response?.ok) update((await response.json()) as Job);
      if (!waiters.has(job.id)) clearInterval(poll);
    }, 2000);
  }).then(settle);
}
