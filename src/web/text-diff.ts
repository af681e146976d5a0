// A line diff of two texts (Myers' O((N+M)·D) algorithm after trimming the common head and tail),
// grouped into hunks with context, like `diff -u`. When the texts differ in more than MAX_EDITS
// lines, the differing middle is shown as removed and added wholesale instead.

export type DiffOp = ' ' | '-' | '+';

export interface DiffLine {
  op: DiffOp;
  text: string;
  /** 1-based line numbers in the old and new text (0 where the line does not exist). */
  oldLine: number;
  newLine: number;
}

export interface DiffHunk {
  oldStart: number;
  newStart: number;
  lines: DiffLine[];
}

const MAX_EDITS = 2000;

export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The edit script turning `a` into `b`. */
export function diffLines(a: readonly string[], b: readonly string[]): DiffOp[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const middle = myers(a.slice(head, a.length - tail), b.slice(head, b.length - tail));
  return [...new Array<DiffOp>(head).fill(' '), ...middle, ...new Array<DiffOp>(tail).fill(' ')];
}

function myers(a: readonly string[], b: readonly string[]): DiffOp[] {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return [...new Array<DiffOp>(n).fill('-'), ...new Array<DiffOp>(m).fill('+')];
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max;
  let v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, offset, n, m, d);
    }
    v = v.slice();
  }
  return [...new Array<DiffOp>(n).fill('-'), ...new Array<DiffOp>(m).fill('+')];
}

function backtrack(trace: Int32Array[], offset: number, n: number, m: number, dEnd: number): DiffOp[] {
  const ops: DiffOp[] = [];
  let x = n;
  let y = m;
  for (let d = dEnd; d > 0; d--) {
    const v = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = v[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push(' ');
      x--;
      y--;
    }
    ops.push(x === prevX ? '+' : '-');
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    ops.push(' ');
    x--;
    y--;
  }
  return ops.reverse();
}

/** Hunks of changed lines with `context` unchanged lines around them. */
export function diffHunks(oldText: string, newText: string, context = 3): DiffHunk[] {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const ops = diffLines(a, b);
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  for (const op of ops) {
    if (op === ' ') lines.push({ op, text: a[i]!, oldLine: ++i, newLine: ++j });
    else if (op === '-') lines.push({ op, text: a[i]!, oldLine: ++i, newLine: 0 });
    else lines.push({ op, text: b[j]!, oldLine: 0, newLine: ++j });
  }
  const hunks: DiffHunk[] = [];
  const changes: number[] = [];
  lines.forEach((line, p) => {
    if (line.op !== ' ') changes.push(p);
  });
  for (let c = 0; c < changes.length;) {
    let last = c;
    while (last + 1 < changes.length && changes[last + 1]! - changes[last]! <= 2 * context + 1) last++;
    const from = Math.max(0, changes[c]! - context);
    const to = Math.min(lines.length - 1, changes[last]! + context);
    const slice = lines.slice(from, to + 1);
    hunks.push({ oldStart: slice.find((l) => l.oldLine)?.oldLine ?? 0, newStart: slice.find((l) => l.newLine)?.newLine ?? 0, lines: slice });
    c = last + 1;
  }
  return hunks;
}
