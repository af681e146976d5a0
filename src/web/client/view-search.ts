// Search across archives by name (glob on the name, or on the path when it has a '/'), regular
// expression on the path, size, modification time and type. The item indexes are built on first
// use (progress shows above).
import { get, repoPath } from './api.js';
import { clear, formatSize, formatTime, h } from './dom.js';
import { link, type ViewContext } from './app.js';

interface Hit { archive: string; path: string; type: string; size: number; mtime: string }
interface Answer { hits: Hit[]; truncated: boolean; archives: string[]; searched: number; milliseconds: number }

const FIELDS = ['q', 'mode', 'icase', 'type', 'minSize', 'maxSize', 'after', 'before', 'archives'] as const;

function field(label: string, input: HTMLElement): HTMLElement {
  return h('label', {}, label, input);
}

export async function renderSearch(ctx: ViewContext): Promise<void> {
  const { repo, params } = ctx.route;
  const value = (name: string) => params.get(name) ?? '';
  const q = h('input', { name: 'q', type: 'search', value: value('q'), required: true, placeholder: '*.txt' });
  const mode = h('select', { name: 'mode' }, h('option', { value: 'glob', selected: value('mode') !== 'regex' }, 'glob'), h('option', { value: 'regex', selected: value('mode') === 'regex' }, 'regex (path)'));
  const icase = h('input', { name: 'icase', type: 'checkbox', value: '1', checked: value('icase') === '1' });
  const type = h('select', { name: 'type' }, ...[['', 'any'], ['file', 'files'], ['dir', 'directories'], ['link', 'symlinks']].map(([v, l]) => h('option', { value: v!, selected: value('type') === v }, l!)));
  const minSize = h('input', { name: 'minSize', type: 'number', min: 0, value: value('minSize'), size: 10 });
  const maxSize = h('input', { name: 'maxSize', type: 'number', min: 0, value: value('maxSize'), size: 10 });
  const after = h('input', { name: 'after', type: 'date', value: value('after') });
  const before = h('input', { name: 'before', type: 'date', value: value('before') });
  const archives = h('input', { name: 'archives', type: 'text', value: value('archives'), placeholder: 'all', size: 12 });
  const form = h('form', { class: 'inline', role: 'search', 'aria-label': 'Search archives' },
    field('Name or pattern', q), field('Match', mode), field('Ignore case', icase), field('Type', type),
    field('Min size (bytes)', minSize), field('Max size (bytes)', maxSize), field('Modified after', after), field('Modified before', before),
    field('Archives (glob)', archives), h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next: Record<string, string> = {};
    for (const name of FIELDS) {
      const v = data.get(name);
      if (typeof v === 'string' && v !== '') next[name] = v;
    }
    location.hash = link(repo, 'search', { params: next });
  });
  const results = h('section', { 'aria-live': 'polite', 'aria-label': 'Search results' });
  clear(ctx.main, h('h2', {}, 'Search'), form, results);
  if (!value('q')) return;
  clear(results, h('p', { class: 'muted' }, 'Searching…'));
  const query: Record<string, string> = {};
  for (const name of FIELDS) if (value(name)) query[name] = value(name);
  if (query['before']) query['before'] = String(Date.parse(query['before']) + 86399999);
  const answer = await get<Answer>(`${repoPath(repo)}/search`, query);
  clear(results,
    h('p', {}, `${answer.hits.length}${answer.truncated ? '+' : ''} matches in ${answer.archives.length} of ${answer.searched} archives (${answer.milliseconds} ms): `,
      h('span', { class: 'found-archives' }, answer.archives.join(', '))),
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Archive'), h('th', { scope: 'col' }, 'Path'), h('th', { scope: 'col', class: 'num' }, 'Size'), h('th', { scope: 'col', class: 'wide' }, 'Modified'))),
      h('tbody', {}, ...answer.hits.map((hit) => {
        const dir = hit.type === 'dir' ? hit.path : hit.path.split('/').slice(0, -1).join('/');
        const params: Record<string, string> = dir ? { path: dir } : {};
        if (hit.type !== 'dir') params['item'] = hit.path;
        return h('tr', { 'data-archive': hit.archive },
          h('td', {}, hit.archive),
          h('td', {}, h('a', { href: link(repo, 'archive', { archive: hit.archive, params }) }, hit.path), ' ',
            hit.type === 'file' ? h('a', { href: link(repo, 'history', { params: { path: hit.path } }), class: 'muted' }, '(history)') : null),
          h('td', { class: 'num' }, hit.type === 'dir' ? '' : formatSize(hit.size)),
          h('td', { class: 'wide' }, formatTime(hit.mtime)));
      }))));
}
