// The history of one path across all archives: in which archives it exists, its size and mtime
// there, and where its contents changed; two versions of a text file can be compared.
import { get, repoPath } from './api.js';
import { clear, formatSize, formatTime, h } from './dom.js';
import { link, type ViewContext } from './app.js';

interface Version { archive: string; time: string; present: boolean; changed: boolean; type?: string; size?: number; mtime?: string; digest?: string }

export async function renderHistory(ctx: ViewContext): Promise<void> {
  const { repo, params } = ctx.route;
  const path = params.get('path') ?? '';
  const input = h('input', { id: 'history-path', name: 'path', type: 'text', value: path, required: true, size: 50 });
  const form = h('form', { class: 'inline' }, h('label', { for: 'history-path' }, 'Path in the archives', input), h('button', { type: 'submit' }, 'Show history'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = link(repo, 'history', { params: { path: input.value.replace(/^\/+/, '') } });
  });
  const results = h('section', { 'aria-label': 'History' });
  clear(ctx.main, h('h2', {}, 'History of a path'), form, results);
  if (!path) return;
  clear(results, h('p', { class: 'muted' }, 'Loading…'));
  const answer = await get<{ versions: Version[] }>(`${repoPath(repo)}/history`, { path });
  const present = answer.versions.filter((v) => v.present);
  const versions = answer.versions.filter((v) => v.present && v.changed).length;
  let previous: Version | null = null;
  const rows = answer.versions.map((v) => {
    const compare = previous !== null && v.present && v.changed && v.type === 'file' && previous.type === 'file'
      ? h('a', { href: link(repo, 'filediff', { params: { path, from: previous.archive, to: v.archive } }) }, 'diff with previous') : null;
    if (v.present) previous = v;
    return h('tr', { class: v.changed ? 'changed' : '', 'data-archive': v.archive, 'data-present': String(v.present) },
      h('td', {}, v.present ? h('a', { href: link(repo, 'archive', { archive: v.archive, params: { path: path.split('/').slice(0, -1).join('/'), item: path } }) }, v.archive) : v.archive),
      h('td', { class: 'wide' }, formatTime(v.time)),
      h('td', {}, v.present ? (v.changed ? 'changed' : 'same') : (v.changed ? 'removed' : 'absent')),
      h('td', { class: 'num' }, v.present ? formatSize(v.size) : ''),
      h('td', { class: 'wide' }, v.present ? formatTime(v.mtime) : ''),
      h('td', {}, compare));
  });
  clear(results,
    h('p', {}, `${path}: in ${present.length} of ${answer.versions.length} archives, ${versions} different version${versions === 1 ? '' : 's'}.`),
    h('table', {}, h('thead', {}, h('tr', {}, ...['Archive', 'Archive time', 'Version', 'Size', 'Modified', ''].map((t, i) => h('th', { scope: 'col', class: i === 3 ? 'num' : i === 1 || i === 4 ? 'wide' : '' }, t)))), h('tbody', {}, ...rows)));
}
