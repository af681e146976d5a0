// The single-page app: the route lives in the URL fragment (#/r/0, #/r/0/a/ARCHIVE?path=...,
// #/r/0/search, #/r/0/history?path=..., #/r/0/diff?from=&to=, #/r/0/filediff?...), so the back
// button, bookmarks and reloads work. Each view renders into <main>.
import { get, setCsrf, type Session } from './api.js';
import { clear, h } from './dom.js';
import { startJobEvents } from './jobs.js';
import { renderBrowser } from './view-browser.js';
import { renderArchiveDiff, renderFileDiff } from './view-diff.js';
import { renderHistory } from './view-history.js';
import { renderRepository } from './view-repository.js';
import { renderSearch } from './view-search.js';

export interface Route {
  repo: number;
  view: 'repository' | 'archive' | 'search' | 'history' | 'diff' | 'filediff';
  archive?: string;
  params: URLSearchParams;
}

export interface ViewContext {
  session: Session;
  route: Route;
  main: HTMLElement;
}

/** The fragment for a route. */
export function link(repo: number, view: Route['view'], options: { archive?: string; params?: Record<string, string> } = {}): string {
  const query = new URLSearchParams(options.params ?? {}).toString();
  const base = view === 'repository' ? `#/r/${repo}` : view === 'archive' ? `#/r/${repo}/a/${encodeURIComponent(options.archive ?? '')}` : `#/r/${repo}/${view}`;
  return query ? `${base}?${query}` : base;
}

function parseRoute(): Route {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path = '/', query = ''] = hash.split('?', 2);
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter((p) => p !== '');
  const repo = parts[0] === 'r' ? Number(parts[1] ?? 0) : 0;
  const rest = parts.slice(2);
  if (rest[0] === 'a' && rest[1] !== undefined) return { repo, view: 'archive', archive: decodeURIComponent(rest[1]), params };
  const view = (['search', 'history', 'diff', 'filediff'] as const).find((v) => v === rest[0]) ?? 'repository';
  return { repo, view, params };
}

function renderNav(session: Session, route: Route): void {
  const nav = document.getElementById('nav')!;
  const item = (label: string, href: string, current: boolean) => h('a', { href, 'aria-current': current ? 'page' : null }, label);
  const repoSelect = session.repositories.length > 1
    ? h('label', {}, 'Repository ',
      h('select', {
        onchange: (e: Event) => { location.hash = link(Number((e.target as HTMLSelectElement).value), 'repository'); },
      }, ...session.repositories.map((r) => h('option', { value: r.number, selected: r.number === route.repo }, r.location))))
    : null;
  clear(nav,
    item('Archives', link(route.repo, 'repository'), route.view === 'repository' || route.view === 'archive'),
    item('Search', link(route.repo, 'search'), route.view === 'search'),
    item('History', link(route.repo, 'history'), route.view === 'history'),
    item('Compare', link(route.repo, 'diff'), route.view === 'diff' || route.view === 'filediff'),
    repoSelect);
}

async function render(session: Session): Promise<void> {
  const main = document.getElementById('main')!;
  const route = parseRoute();
  renderNav(session, route);
  const ctx: ViewContext = { session, route, main };
  try {
    switch (route.view) {
      case 'repository': await renderRepository(ctx); break;
      case 'archive': await renderBrowser(ctx); break;
      case 'search': await renderSearch(ctx); break;
      case 'history': await renderHistory(ctx); break;
      case 'diff': await renderArchiveDiff(ctx); break;
      case 'filediff': await renderFileDiff(ctx); break;
    }
  } catch (e) {
    clear(main, h('p', { class: 'error', role: 'alert' }, e instanceof Error ? e.message : String(e)));
  }
}

async function start(): Promise<void> {
  startJobEvents(document.getElementById('jobs')!);
  const session = await get<Session>('/api/session');
  setCsrf(session.csrf);
  let last = '';
  const onRoute = () => {
    // Moving inside one archive (another directory) is handled by the browser view itself.
    const route = parseRoute();
    const key = route.view === 'archive' ? `archive ${route.repo} ${route.archive}` : location.hash;
    if (key === last && route.view === 'archive') {
      window.dispatchEvent(new CustomEvent('borgts:navigate'));
      return;
    }
    last = key;
    void render(session);
  };
  window.addEventListener('hashchange', onRoute);
  onRoute();
}

void start();
