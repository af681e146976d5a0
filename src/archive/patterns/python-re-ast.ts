// The syntax tree of a Python `re` pattern as our parser builds it (python-re-parser.ts) and the
// JavaScript emitter consumes it (python-re-emitter.ts). Flags are resolved per node at parse time,
// because Python lets `(?i:...)`, `(?s:...)`, `(?a:...)` change them for a part of the pattern.

/** Python's _sre.MAXREPEAT: a repeat bound of this value means "unbounded". */
export const MAXREPEAT = 4294967295;

/** The flags that change what a node matches (VERBOSE only matters while parsing). */
export interface NodeFlags {
  readonly ignoreCase: boolean;
  readonly multiline: boolean;
  readonly dotAll: boolean;
  /** ASCII (`a`) instead of Unicode classes, boundaries and case folding. */
  readonly ascii: boolean;
}

/** \d \D \s \S \w \W */
export type CategoryName = 'd' | 'D' | 's' | 'S' | 'w' | 'W';

export type SetItem =
  | { readonly kind: 'char'; readonly cp: number }
  | { readonly kind: 'range'; readonly lo: number; readonly hi: number }
  | { readonly kind: 'category'; readonly name: CategoryName };

/** bol/eol: `^`/`$`; bos/eos: `\A`/`\Z`; boundary/nonboundary: `\b`/`\B`. */
export type AtKind = 'bol' | 'eol' | 'bos' | 'eos' | 'boundary' | 'nonboundary';

export type RepeatMode = 'greedy' | 'lazy' | 'possessive';

export type ReNode =
  | { readonly kind: 'seq'; readonly items: ReNode[] }
  | { readonly kind: 'alt'; readonly branches: ReNode[] }
  | { readonly kind: 'char'; readonly cp: number; readonly flags: NodeFlags }
  | { readonly kind: 'set'; readonly negate: boolean; readonly items: SetItem[]; readonly flags: NodeFlags }
  | { readonly kind: 'any'; readonly flags: NodeFlags }
  | { readonly kind: 'at'; readonly at: AtKind; readonly flags: NodeFlags }
  /** A capturing group (index >= 1) or a non-capturing one (index null). */
  | { readonly kind: 'group'; readonly index: number | null; readonly body: ReNode }
  | { readonly kind: 'look'; readonly behind: boolean; readonly negate: boolean; readonly body: ReNode }
  | { readonly kind: 'atomic'; readonly body: ReNode }
  | { readonly kind: 'repeat'; readonly min: number; readonly max: number; readonly mode: RepeatMode; readonly body: ReNode }
  | { readonly kind: 'backref'; readonly group: number; readonly flags: NodeFlags }
  | { readonly kind: 'cond'; readonly group: number; readonly yes: ReNode; readonly no: ReNode | null };

export type Width = readonly [lo: number, hi: number];

/**
 * The (min, max) number of characters a node matches, capped like Python's SubPattern.getwidth;
 * Python requires lo == hi inside look-behinds. `groupWidths[n]` is the width of group n.
 */
export function nodeWidth(node: ReNode, groupWidths: ReadonlyArray<Width | null>): Width {
  switch (node.kind) {
    case 'seq': {
      let lo = 0;
      let hi = 0;
      for (const item of node.items) {
        const [l, h] = nodeWidth(item, groupWidths);
        lo += l;
        hi += h;
      }
      return cap(lo, hi);
    }
    case 'alt': {
      let lo = MAXREPEAT - 1;
      let hi = 0;
      for (const branch of node.branches) {
        const [l, h] = nodeWidth(branch, groupWidths);
        lo = Math.min(lo, l);
        hi = Math.max(hi, h);
      }
      return cap(lo, hi);
    }
    case 'char': case 'set': case 'any':
      return [1, 1];
    case 'at': case 'look':
      return [0, 0];
    case 'group': case 'atomic':
      return nodeWidth(node.body, groupWidths);
    case 'repeat': {
      const [l, h] = nodeWidth(node.body, groupWidths);
      return [l * node.min, h * node.max];
    }
    case 'backref':
      return groupWidths[node.group] ?? [0, 0];
    case 'cond': {
      const [yl, yh] = nodeWidth(node.yes, groupWidths);
      if (node.no === null) return [0, yh];
      const [nl, nh] = nodeWidth(node.no, groupWidths);
      return [Math.min(yl, nl), Math.max(yh, nh)];
    }
  }
}

function cap(lo: number, hi: number): Width {
  return [Math.min(lo, MAXREPEAT - 1), Math.min(hi, MAXREPEAT)];
}
