// The subset of Python's configparser syntax that borg's repository `config` uses (spec §1.3), read
// and written the way configparser does with borg's settings (no interpolation):
//   - `[section]` headers; `key = value` or `key: value`; keys are lowercased, values stripped;
//   - whole-line comments start with `#` or `;` (no inline comments);
//   - a line indented deeper than its key continues the previous value, joined with "\n";
//     blank lines inside a continued value are kept, trailing ones are not;
//   - writing emits `key = value`, continuation lines as "\n\t", and a blank line after each section.

export class IniSyntaxError extends SyntaxError {}

export class IniFile {
  /** Sections in file order; each keeps its keys in file order. */
  readonly sections = new Map<string, Map<string, string>>();

  static parse(text: string): IniFile {
    const ini = new IniFile();
    let section: Map<string, string> | undefined;
    let current: { key: string; indent: number; lines: string[]; blanks: number } | undefined;
    const finish = (): void => {
      if (current && section) section.set(current.key, current.lines.join('\n').trim());
      current = undefined;
    };
    const lines = text.split(/\r\n|\n|\r/);
    lines.forEach((raw, i) => {
      const stripped = raw.trim();
      const indent = raw.length - raw.trimStart().length;
      if (stripped === '') {
        if (current) current.blanks++;
        return;
      }
      if (/^[#;]/.test(stripped)) return;
      if (current && indent > current.indent) {
        for (; current.blanks > 0; current.blanks--) current.lines.push('');
        current.lines.push(stripped);
        return;
      }
      finish();
      const header = /^\[([^\]]+)\]/.exec(stripped);
      if (header) {
        const name = header[1]!;
        if (ini.sections.has(name)) throw new IniSyntaxError(`Duplicate section '${name}' on line ${i + 1}`);
        section = new Map();
        ini.sections.set(name, section);
        return;
      }
      if (!section) throw new IniSyntaxError(`Option outside of any section on line ${i + 1}`);
      const m = /^(.*?)\s*[=:]\s*(.*)$/.exec(stripped);
      if (!m || m[1] === '') throw new IniSyntaxError(`Cannot parse line ${i + 1}: '${stripped}'`);
      const key = m[1]!.toLowerCase();
      if (section.has(key)) throw new IniSyntaxError(`Duplicate option '${key}' on line ${i + 1}`);
      current = { key, indent, lines: [m[2]!], blanks: 0 };
    });
    finish();
    return ini;
  }

  get(section: string, key: string): string | undefined {
    return this.sections.get(section)?.get(key.toLowerCase());
  }

  set(section: string, key: string, value: string): void {
    let s = this.sections.get(section);
    if (!s) {
      s = new Map();
      this.sections.set(section, s);
    }
    s.set(key.toLowerCase(), value);
  }

  delete(section: string, key: string): boolean {
    return this.sections.get(section)?.delete(key.toLowerCase()) ?? false;
  }

  toString(): string {
    let out = '';
    for (const [name, entries] of this.sections) {
      out += `[${name}]\n`;
      for (const [key, value] of entries) out += `${key} = ${value.replace(/\n/g, '\n\t')}\n`;
      out += '\n';
    }
    return out;
  }
}

/** configparser's getboolean. */
export function parseIniBoolean(value: string): boolean {
  const v = value.toLowerCase();
  if (v === '1' || v === 'yes' || v === 'true' || v === 'on') return true;
  if (v === '0' || v === 'no' || v === 'false' || v === 'off') return false;
  throw new IniSyntaxError(`Not a boolean: '${value}'`);
}

/** Python's int() of a config value: optional sign, decimal digits, single underscores between digits. */
export function parseIniInt(value: string): number {
  const v = value.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(v)) throw new IniSyntaxError(`Not an integer: '${value}'`);
  return Number(v.replace(/_/g, ''));
}

const PY_FLOAT = /^[+-]?(\d+(_\d+)*(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)([eE][+-]?\d+(_\d+)*)?$/;
const SIZE_SUFFIX: Record<string, number> = { K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };

/** borg's parse_file_size: decimal number with an optional K/M/G/T/P suffix (powers of 1000), truncated. */
export function parseFileSize(text: string): number {
  let s = text;
  const factor = SIZE_SUFFIX[s.slice(-1)];
  if (factor !== undefined) s = s.slice(0, -1);
  const t = s.trim();
  if (!PY_FLOAT.test(t)) throw new IniSyntaxError(`Not a file size: '${text}'`);
  const n = Math.trunc(Number(t.replace(/_/g, '')) * (factor ?? 1));
  if (!Number.isFinite(n)) throw new IniSyntaxError(`Not a file size: '${text}'`);
  return n;
}
