// The repository page: archives on a timeline (newest first) with their sizes, and a chart of the
// repository's growth (stored bytes) and deduplication ratio over time.
import { get, repoPath } from './api.js';
import { clear, formatDuration, formatSize, formatTime, h } from './dom.js';
import { waitForJob, type Job } from './jobs.js';
import { link, type ViewContext } from './app.js';

interface ArchiveRow {
  name: string;
  start: string;
  duration: number;
  hostname: string;
  comment: string;
  nfiles: number;
  originalSize: number;
  compressedSize: number;
  deduplicatedSize: number | null;
  storedTotal: number | null;
  originalTotal: number | null;
}

interface ArchivesAnswer {
  repository: { location: string; id: string };
  archives: ArchiveRow[];
  statsJob: Job | null;
}

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function chart(rows: ArchiveRow[]): HTMLElement {
  const points = rows.filter((r) => r.storedTotal !== null);
  const figure = h('figure', { class: 'chart' });
  if (points.length === 0) {
    figure.append(h('p', { class: 'muted' }, rows.length === 0 ? 'No archives yet.' : 'Computing deduplicated sizes…'));
    return figure;
  }
  const W = 900;
  const H = 260;
  const pad = 48;
  const times = points.map((p) => Date.parse(p.start));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const x = (t: number) => pad + (t1 === t0 ? (W - 2 * pad) / 2 : ((t - t0) / (t1 - t0)) * (W - 2 * pad));
  const maxStored = Math.max(...points.map((p) => p.storedTotal!), 1);
  const ratios = points.map((p) => (p.storedTotal! > 0 ? p.originalTotal! / p.storedTotal! : 1));
  const maxRatio = Math.max(...ratios, 1);
  const yS = (v: number) => H - pad - (v / maxStored) * (H - 2 * pad);
  const yR = (v: number) => H - pad - (v / maxRatio) * (H - 2 * pad);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc' });
  root.append(svg('title', { id: 'chart-title' }, 'Repository growth and deduplication ratio'));
  root.append(svg('desc', { id: 'chart-desc' }, `Stored size grew to ${formatSize(points.at(-1)!.storedTotal)} over ${points.length} archives; deduplication ratio ${ratios.at(-1)!.toFixed(2)}.`));
  root.append(svg('line', { x1: pad, y1: H - pad, x2: W - pad, y2: H - pad, stroke: '#999' }));
  root.append(svg('text', { x: pad, y: H - pad + 18, 'font-size': 12 }, new Date(t0).toLocaleDateString()));
  root.append(svg('text', { x: W - pad, y: H - pad + 18, 'font-size': 12, 'text-anchor': 'end' }, new Date(t1).toLocaleDateString()));
  root.append(svg('text', { x: 4, y: pad - 8, 'font-size': 12, fill: '#1f5fbf' }, formatSize(maxStored)));
  root.append(svg('text', { x: W - 4, y: pad - 8, 'font-size': 12, fill: '#b35c00', 'text-anchor': 'end' }, `${maxRatio.toFixed(2)}×`));
  const line = (ys: number[], color: string) => svg('polyline', {
    points: points.map((_, i) => `${x(times[i]!).toFixed(1)},${ys[i]!.toFixed(1)}`).join(' '), fill: 'none', stroke: color, 'stroke-width': 2,
  });
  root.append(line(points.map((p) => yS(p.storedTotal!)), '#1f5fbf'));
  root.append(line(ratios.map(yR), '#b35c00'));
  points.forEach((p, i) => {
    const dot = svg('circle', { cx: x(times[i]!), cy: yS(p.storedTotal!), r: 3, fill: '#1f5fbf' });
    dot.append(svg('title', {}, `${p.name}: ${formatSize(p.storedTotal)} stored, ratio ${ratios[i]!.toFixed(2)}`));
    root.append(dot);
  });
  figure.append(root, h('figcaption', { class: 'legend' }, h('span', { class: 'stored' }, 'stored size'), h('span', { class: 'ratio' }, 'deduplication ratio (original / stored)')));
  return figure;
}

export async function renderRepository(ctx: ViewContext): Promise<void> {
  const { repo } = ctx.route;
  const answer = await get<ArchivesAnswer>(`${repoPath(repo)}/archives`);
  const rows = [...answer.archives].reverse();
  const table = h('table', {},
    h('caption', { class: 'muted' }, `${rows.length} archives, newest first`),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Archive'), h('th', { scope: 'col' }, 'Time'),
      h('th', { scope: 'col', class: 'num wide' }, 'Files'), h('th', { scope: 'col', class: 'num' }, 'Original'),
      h('th', { scope: 'col', class: 'num wide' }, 'Compressed'), h('th', { scope: 'col', class: 'num' }, 'Deduplicated'),
      h('th', { scope: 'col', class: 'num wide' }, 'Duration'), h('th', { scope: 'col', class: 'wide' }, 'Host'))),
    h('tbody', {}, ...rows.map((a) => h('tr', { 'data-archive': a.name },
      h('th', { scope: 'row' }, h('a', { href: link(repo, 'archive', { archive: a.name }) }, a.name), a.comment ? h('div', { class: 'muted' }, a.comment) : null),
      h('td', {}, h('time', { datetime: a.start }, formatTime(a.start))),
      h('td', { class: 'num wide' }, a.nfiles), h('td', { class: 'num' }, formatSize(a.originalSize)),
      h('td', { class: 'num wide' }, formatSize(a.compressedSize)), h('td', { class: 'num' }, formatSize(a.deduplicatedSize)),
      h('td', { class: 'num wide' }, formatDuration(a.duration)), h('td', { class: 'wide' }, a.hostname)))));
  clear(ctx.main,
    h('h2', {}, answer.repository.location),
    chart(answer.archives),
    h('div', { class: 'row-actions' }, rows.length >= 2 ? h('a', { href: link(repo, 'diff', { params: { from: rows[1]!.name, to: rows[0]!.name } }) }, 'Compare the two newest archives') : null),
    table);
  if (answer.statsJob !== null) {
    const hash = location.hash;
    await waitForJob(answer.statsJob).catch(() => undefined);
    if (location.hash === hash) await renderRepository(ctx);
  }
}
