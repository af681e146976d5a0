// Python and JavaScript disagree about a backreference to a group that did not take part in the
// match: Python fails, JavaScript matches the empty string (and JavaScript also forgets captures
// at each new loop iteration, Python keeps them). Backreferences are accepted only where the group
// is sure to have matched whenever the reference is reached, so the two engines agree.

import type { ReNode } from './python-re-ast.js';
import { UnsupportedFeature } from './python-re-tokens.js';

export function checkBackreferences(root: ReNode): void {
  const groupPaths = new Map<number, ReNode[]>();
  const references: { group: number; path: ReNode[] }[] = [];
  const walk = (node: ReNode, path: ReNode[]): void => {
    const inner = [...path, node];
    switch (node.kind) {
      case 'seq': for (const item of node.items) walk(item, inner); return;
      case 'alt': for (const branch of node.branches) walk(branch, inner); return;
      case 'group':
        if (node.index !== null) groupPaths.set(node.index, inner);
        walk(node.body, inner);
        return;
      case 'look': case 'atomic': case 'repeat': walk(node.body, inner); return;
      case 'cond':
        walk(node.yes, inner);
        if (node.no !== null) walk(node.no, inner);
        return;
      case 'backref': references.push({ group: node.group, path }); return;
      default:
    }
  };
  walk(root, []);
  for (const { group, path } of references) {
    const groupPath = groupPaths.get(group)!;
    let common = 0;
    while (common < path.length && common < groupPath.length && path[common] === groupPath[common]) common++;
    const ancestor = groupPath[common - 1]!;
    const below = groupPath.slice(common, -1);
    if (ancestor.kind === 'alt' || !below.every(alwaysEntered)) {
      throw new UnsupportedFeature('a backreference to a group that may not take part in the match');
    }
  }
}

/** Whether matching a node always matches its child, so a group inside it is set. */
function alwaysEntered(node: ReNode): boolean {
  switch (node.kind) {
    case 'seq': case 'group': case 'atomic': return true;
    case 'look': return !node.negate;
    case 'repeat': return node.min >= 1;
    default: return false;
  }
}
