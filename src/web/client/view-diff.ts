// Comparing: two archives (what `borg-ts diff` reports: added, removed and changed paths), and two
// versions of a text file (a unified line diff).
import { get, repoPath } from './api.js';
import { clear, h } from './dom.js';
import { link, type ViewContext } from './app.js';

interface ArchiveDiff { changes: Array<{ path: string; changes: Array<Record<string, unknown>> }>; truncated: boolean }
interface FileDiff { hunks: Array<{ oldStart: number; newStart: number; lines: Array<{ op: string; text: string }> }>; oldPresent: boolean; newPresent: boolean }

function describe(change: Record<string, unknown>): string {
  switch (change['type']) {
    case 'added': case 'removed': return `${change['type']} ${change['size']} B`;
    case 'modified': return change['added'] === undefined ? 'modified' : `modified +${change['added']} B -${change['removed']} B`;
    case 'mode': return `mode ${change['old_mode']} → ${change['new_mode']}`;
    case 'owner': return `owner ${change['old_user']}:${change['old_group']} → ${change['new_user']}:${change['new_group']}`;
    case 'mtime': case 'ctime': return String(change['type']);
    default: return String(change['type']);
  }
}

async function archiveNames(repo: number): Promise<string[]> {
  const answer = await get<{ archives: Array<{ name: string }> }>(`${repoPath(repo)}/archives`);
  return answer.archives.map((a) => a.name);
}

export async function renderArchiveDiff(ctx: ViewContext): Promise<void> {
  const { repo, params } = ctx.route;
  const names = await archiveNames(repo);
  const select = (name: string, label: string, selected: string | null) => h('label', {}, label,
    h('select', { name }, ...names.map((n) => h('option', { value: n, selected: n === selected }, n))));
  const from = params.get('from') ?? names.at(-2) ?? null;
  const to = params.get('to') ?? names.at(-1) ?? null;
  const contentOnly = h('input', { type: 'checkbox', name: 'contentOnly', value: '1', checked: params.get('contentOnly') === '1' });
  const form = h('form', { class: 'inline', 'aria-label': 'Compare archives' }, select('from', 'Older archive', from), select('to', 'Newer archive', to),
    h('label', {}, 'Content only', contentOnly), h('button', { type: 'submit' }, 'Compare'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next: Record<string, string> = { from: String(data.get('from')), to: String(data.get('to')) };
    if (data.get('contentOnly')) next['contentOnly'] = '1';
    location.hash = link(repo, 'diff', { params: next });
  });
  const results = h('section', { 'aria-label': 'Differences' });
  clear(ctx.main, h('h2', {}, 'Compare archives'), form, results);
  if (!params.get('from') || !params.get('to')) return;
  clear(results, h('p', { class: 'muted' }, 'Comparing…'));
  const answer = await get<ArchiveDiff>(`${repoPath(repo)}/diff`, { from: params.get('from')!, to: params.get('to')!, contentOnly: params.get('contentOnly') ?? undefined });
  const count = (type: string) => answer.changes.filter((c) => c.changes.some((x) => x['type'] === type)).length;
  clear(results,
    h('p', {}, `${answer.changes.length}${answer.truncated ? '+' : ''} paths differ: ${count('added')} added, ${count('removed')} removed, ${count('modified')} modified.`),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Change'), h('th', { scope: 'col' }, 'Path'))),
      h('tbody', {}, ...answer.changes.map((c) => {
        const modified = c.changes.some((x) => x['type'] === 'modified');
        return h('tr', { 'data-path': c.path },
          h('td', {}, c.changes.map(describe).join(', ')),
          h('td', {}, c.path, modified ? ' ' : null,
            modified ? h('a', { href: link(repo, 'filediff', { params: { path: c.path, from: params.get('from')!, to: params.get('to')! } }) }, '(text diff)') : null));
      }))));
}

export async function renderFileDiff(ctx: ViewContext): Promise<void> {
  const { repo, params } = ctx.route;
  const path = params.get('path') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const results = h('section', { class: 'diff', 'aria-label': 'Line differences' });
  clear(ctx.main, h('h2', {}, `${path}: ${from} → ${to}`), h('p', {}, h('a', { href: link(repo, 'history', { params: { path } }) }, 'History of this path')), results);
  const answer = await get<FileDiff>(`${repoPath(repo)}/file-diff`, { path, from, to });
  if (answer.hunks.length === 0) {
    clear(results, h('p', {}, 'The two versions are identical.'));
    return;
  }
  clear(results, ...answer.hunks.map((hunk) => h('div', {},
    h('div', { class: 'hunk' }, `@@ -${hunk.oldStart} +${hunk.newStart} @@`),
    ...hunk.lines.map((l) => h('div', { class: l.op === '+' ? 'add' : l.op === '-' ? 'del' : '' }, h('span', { class: 'muted' }, l.op === ' ' ? '  ' : `${l.op} `), l.text)))));
}
