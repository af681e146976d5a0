// The archive browser: a lazily loaded directory tree (keyboard: arrows move, right/left open and
// close, Enter shows), the listing of the current directory with sortable columns, and details of
// the selected item with a preview, downloads, its history and (when allowed) a restore form.
import { apiUrl, archivePathUrl, get, post } from './api.js';
import { clear, formatSize, formatTime, h } from './dom.js';
import { waitForJob, type Job } from './jobs.js';
import { link, type ViewContext } from './app.js';

export interface Entry {
  name: string;
  path: string;
  type: 'file' | 'dir' | 'link' | 'other';
  mode: string;
  size: number;
  mtime: string | null;
  children: number;
  implicit: boolean;
  hardlink: boolean;
}

interface Listing {
  path: string;
  total: number;
  entries: Entry[];
}

interface Details extends Entry {
  item: null | {
    mode: string; user: string | null; group: string | null; uid: number | null; gid: number | null;
    mtime: string | null; atime: string | null; ctime: string | null; birthtime: string | null;
    size: number | null; linkTarget: string | null; source: string | null; chunkCount: number;
    chunks: Array<{ id: string; size: number; csize: number }>;
    xattrs: Array<{ name: string; value: string; encoding: string }>;
  };
}

type Preview = { kind: 'text'; text: string; truncated: boolean; size: number } | { kind: 'image'; mime: string; size: number } | { kind: 'binary'; size: number };

const PAGE = 500;

/** Moving to another directory of the archive that is shown (app.ts signals it). */
let onNavigate: (() => void) | null = null;
window.addEventListener('borgts:navigate', () => onNavigate?.());

export async function renderBrowser(ctx: ViewContext): Promise<void> {
  const { repo } = ctx.route;
  const archive = ctx.route.archive!;
  const base = archivePathUrl(repo, archive);
  const state = { sort: 'name', order: 'asc' as 'asc' | 'desc' };
  const treeRoot = h('ul', { role: 'tree', 'aria-label': 'Directories' });
  const crumbs = h('nav', { class: 'crumbs', 'aria-label': 'Path' });
  const listing = h('section', { 'aria-label': 'Directory contents' });
  const details = h('section', { class: 'details', 'aria-live': 'polite' });
  clear(ctx.main,
    h('h2', {}, `Archive ${archive}`),
    h('div', { class: 'row-actions' },
      h('a', { href: link(repo, 'repository') }, '← Archives'),
      h('a', { href: apiUrl(`${base}/download`, { format: 'tar' }), download: '' }, 'Download archive (tar)'),
      h('a', { href: apiUrl(`${base}/download`, { format: 'zip' }), download: '' }, 'Download archive (zip)')),
    crumbs,
    h('div', { class: 'browser' }, h('div', { class: 'tree' }, treeRoot), h('div', {}, listing, details)));

  const currentPath = () => new URLSearchParams(location.hash.split('?')[1] ?? '').get('path') ?? '';
  const currentItem = () => new URLSearchParams(location.hash.split('?')[1] ?? '').get('item');
  const go = (path: string, item?: string) => {
    const params: Record<string, string> = {};
    if (path) params['path'] = path;
    if (item) params['item'] = item;
    location.hash = link(repo, 'archive', { archive, params });
  };

  // --- tree ---
  const loadChildren = async (path: string, ul: HTMLElement) => {
    const answer = await get<Listing>(`${base}/dir`, { path, limit: 1000 });
    clear(ul, ...answer.entries.filter((e) => e.type === 'dir').map((e) => treeItem(e)));
  };
  const treeItem = (e: Entry): HTMLElement => {
    const group = h('ul', { role: 'group', hidden: true });
    const li = h('li', { role: 'treeitem', 'aria-expanded': e.children > 0 ? 'false' : null, 'data-path': e.path });
    const button = h('button', { type: 'button', 'aria-selected': 'false', tabindex: -1 }, `${e.children > 0 ? '▸ ' : '  '}${e.name}`);
    button.addEventListener('click', () => {
      void toggle(li, group, button, true);
      go(e.path);
    });
    li.append(button, group);
    return li;
  };
  const toggle = async (li: HTMLElement, group: HTMLElement, button: HTMLElement, open: boolean) => {
    if (li.getAttribute('aria-expanded') === null) return;
    li.setAttribute('aria-expanded', String(open));
    group.hidden = !open;
    button.textContent = `${open ? '▾' : '▸'} ${button.textContent!.slice(2)}`;
    if (open && group.childElementCount === 0) await loadChildren(li.dataset['path']!, group);
  };
  treeRoot.addEventListener('keydown', (event) => {
    const buttons = [...treeRoot.querySelectorAll<HTMLButtonElement>('button')].filter((b) => b.offsetParent !== null);
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const li = buttons[at]!.parentElement!;
    const group = li.querySelector<HTMLElement>(':scope > ul')!;
    const moves: Record<string, () => void> = {
      ArrowDown: () => buttons[Math.min(at + 1, buttons.length - 1)]!.focus(),
      ArrowUp: () => buttons[Math.max(at - 1, 0)]!.focus(),
      ArrowRight: () => void toggle(li, group, buttons[at]!, true),
      ArrowLeft: () => void toggle(li, group, buttons[at]!, false),
      Home: () => buttons[0]!.focus(),
      End: () => buttons.at(-1)!.focus(),
    };
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      move();
    }
  });
  /** Opens the tree along `path` and marks it as the current directory. */
  const reveal = async (path: string) => {
    let acc = '';
    for (const part of path === '' ? [] : path.split('/')) {
      acc = acc ? `${acc}/${part}` : part;
      const li = treeRoot.querySelector<HTMLElement>(`li[data-path="${CSS.escape(acc)}"]`);
      if (li === null) break;
      await toggle(li, li.querySelector<HTMLElement>(':scope > ul')!, li.querySelector('button')!, true);
    }
    for (const b of treeRoot.querySelectorAll('button')) {
      const selected = b.parentElement!.dataset['path'] === path;
      b.setAttribute('aria-selected', String(selected));
      b.tabIndex = selected ? 0 : -1;
    }
    const first = treeRoot.querySelector<HTMLButtonElement>('button[tabindex="0"]') ?? treeRoot.querySelector('button');
    if (first) first.tabIndex = 0;
  };

  // --- listing ---
  const renderListing = async (path: string) => {
    const parts = path === '' ? [] : path.split('/');
    clear(crumbs, h('button', { type: 'button', class: 'link', onclick: () => go('') }, archive),
      ...parts.flatMap((part, i) => ['/', h('button', { type: 'button', class: 'link', onclick: () => go(parts.slice(0, i + 1).join('/')) }, part)]));
    let shown = 0;
    const body = h('tbody');
    const more = h('div');
    const header = (label: string, key: string, cls = '') => {
      const sorted = state.sort === key;
      return h('th', { scope: 'col', class: cls, 'aria-sort': sorted ? (state.order === 'asc' ? 'ascending' : 'descending') : null },
        h('button', {
          type: 'button', onclick: () => {
            state.order = sorted && state.order === 'asc' ? 'desc' : 'asc';
            state.sort = key;
            void renderListing(path);
          },
        }, `${label}${sorted ? (state.order === 'asc' ? ' ▲' : ' ▼') : ''}`));
    };
    const loadPage = async () => {
      const answer = await get<Listing>(`${base}/dir`, { path, sort: state.sort, order: state.order, offset: shown, limit: PAGE });
      for (const e of answer.entries) {
        const open = () => (e.type === 'dir' ? go(e.path) : go(path, e.path));
        body.append(h('tr', { 'data-path': e.path },
          h('td', {}, h('button', { type: 'button', class: 'link', onclick: open }, `${e.type === 'dir' ? '📁 ' : e.type === 'link' ? '🔗 ' : ''}${e.name}`)),
          h('td', { class: 'num' }, e.type === 'dir' ? `${e.children} items` : formatSize(e.size)),
          h('td', { class: 'wide' }, formatTime(e.mtime)),
          h('td', { class: 'wide' }, h('code', {}, e.mode))));
      }
      shown += answer.entries.length;
      clear(more, shown < answer.total ? h('button', { type: 'button', onclick: () => void loadPage() }, `Show more (${shown} of ${answer.total})`) : null);
      return answer;
    };
    const table = h('table', {}, h('thead', {}, h('tr', {}, header('Name', 'name'), header('Size', 'size', 'num'), header('Modified', 'mtime', 'wide'), h('th', { scope: 'col', class: 'wide' }, 'Mode'))), body);
    clear(listing, h('p', { class: 'muted' }, 'Loading…'));
    const first = await loadPage();
    const downloads = path === '' ? null : h('span', { class: 'row-actions' }, ' ',
      h('a', { href: apiUrl(`${base}/download`, { path, format: 'tar' }), download: '' }, 'Download this directory (tar)'),
      h('a', { href: apiUrl(`${base}/download`, { path, format: 'zip' }), download: '' }, 'Download this directory (zip)'));
    clear(listing, h('p', { class: 'muted' }, `${first.total} entries in /${path}`, downloads), table, more);
  };

  // --- details ---
  const renderDetails = async (path: string | null) => {
    if (path === null) {
      clear(details);
      return;
    }
    const d = await get<Details>(`${base}/item`, { path });
    const rows: Array<[string, string | Node]> = [['Path', d.path], ['Type', d.type], ['Mode', d.item?.mode ?? d.mode]];
    if (d.item) {
      rows.push(['Owner', `${d.item.user ?? d.item.uid ?? ''}:${d.item.group ?? d.item.gid ?? ''} (${d.item.uid ?? '?'}:${d.item.gid ?? '?'})`]);
      rows.push(['Modified', formatTime(d.item.mtime)], ['Accessed', formatTime(d.item.atime)], ['Changed', formatTime(d.item.ctime)]);
      if (d.item.birthtime) rows.push(['Created', formatTime(d.item.birthtime)]);
      if (d.type !== 'dir') rows.push(['Size', `${formatSize(d.size)} (${d.size} bytes)`], ['Chunks', String(d.item.chunkCount)]);
      if (d.item.linkTarget !== null) rows.push(['Link target', d.item.linkTarget]);
      else if (d.item.source !== null) rows.push(['Hard link to', d.item.source]);
      for (const x of d.item.xattrs) rows.push([`xattr ${x.name}`, x.encoding === 'base64' ? `(base64) ${x.value}` : x.value]);
    }
    const actions = h('div', { class: 'row-actions' });
    if (d.type === 'file') {
      actions.append(h('a', { href: apiUrl(`${base}/content`, { path }), download: d.name }, 'Download'));
      actions.append(h('a', { href: link(repo, 'history', { params: { path } }) }, 'History'));
    } else if (d.type === 'dir') {
      actions.append(h('a', { href: apiUrl(`${base}/download`, { path, format: 'tar' }), download: '' }, 'Download (tar)'));
      actions.append(h('a', { href: apiUrl(`${base}/download`, { path, format: 'zip' }), download: '' }, 'Download (zip)'));
    }
    const preview = h('div');
    clear(details, h('h3', {}, d.name || archive), h('dl', {}, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])), actions,
      ctx.session.allowRestore ? restoreForm(d.path) : null, preview);
    if (d.type === 'file') {
      const p = await get<Preview>(`${base}/preview`, { path });
      if (p.kind === 'text') clear(preview, h('h3', {}, 'Preview'), h('pre', { class: 'preview', tabindex: 0, 'aria-label': `Contents of ${d.name}` }, p.text), p.truncated ? h('p', { class: 'muted' }, 'Preview truncated.') : null);
      else if (p.kind === 'image') clear(preview, h('h3', {}, 'Preview'), h('img', { class: 'preview', src: apiUrl(`${base}/content`, { path, inline: 1 }), alt: `Image ${d.name}` }));
      else clear(preview, h('p', { class: 'muted' }, 'Binary file: no preview.'));
    }
  };

  const restoreForm = (path: string) => {
    const input = h('input', { type: 'text', name: 'destination', id: 'restore-destination', required: true, placeholder: '/absolute/directory', size: 30 });
    const status = h('span', { role: 'status' });
    const form = h('form', { class: 'inline', 'aria-label': 'Restore' },
      h('label', { for: 'restore-destination' }, 'Restore into directory on the server', input),
      h('button', { type: 'submit' }, 'Restore'), status);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void (async () => {
        try {
          clear(status, 'Restoring…');
          const { job } = await post<{ job: Job }>(`/api/repos/${repo}/restore`, { archive, path, destination: input.value });
          const done = await waitForJob(job);
          clear(status, `Restored to ${(done.result as { target: string }).target}`);
        } catch (e) {
          clear(status, h('span', { class: 'error' }, e instanceof Error ? e.message : String(e)));
        }
      })();
    });
    return form;
  };

  const show = async () => {
    const path = currentPath();
    try {
      await renderListing(path);
      await reveal(path);
      await renderDetails(currentItem());
    } catch (e) {
      clear(listing, h('p', { class: 'error', role: 'alert' }, e instanceof Error ? e.message : String(e)));
    }
  };
  onNavigate = () => void show();
  await loadChildren('', treeRoot);
  await show();
}
