import { BORG_VERSION } from '../../src/version.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { UsageError } from '../../src/errors.js';
import {
  DatetimeValue, formatLine, formatValue, InvalidPlaceholder, PlaceholderError, PyFloat, replacePlaceholders,
  type FormatValue,
} from '../../src/archive/placeholders.js';
import { utcTime } from '../../src/archive/strftime.js';
import { python } from '../cli/borg-python.js';

const NOW = 1_767_654_321.654321; // 2026-01-05T23:05:21.654321Z

const FORMATS = [
  '{hostname}-{fqdn}-{reverse-fqdn}-{user}-{pid}', '{borgversion} {borgmajor} {borgminor} {borgpatch}',
  '{now}', '{utcnow}', '{now:%Y-%m-%d_%H:%M:%S.%f %a %A %b %B %j %U %W %G-%V-%u %w %y %p %I %%}',
  '{utcnow:%Y%m%dT%H%M%S%z %Z}', '{{literal}} {{{user}}}', 'plain', '', '{now:{user}}', '{user:>10}|{user:*^9}|{pid:08d}|{pid:x}',
  '{uuid4}', '{ hostname }', '{bad}', '{now!r}', '{}', '{0}', '{now.year}', '{now[0]}', '{pid:q}', '{user:d}', '{user:=5}',
  '{user!s:>3}', '{now:{nested}}',
];

const ORACLE = String.raw`
import json, sys
from datetime import datetime, timezone
from borg.helpers import replace_placeholders, Error
from borg.helpers.parseformat import DatetimeWrapper
cases = json.load(sys.stdin)
aware = datetime.fromtimestamp(cases['now'], timezone.utc)
overrides = {'now': DatetimeWrapper(aware.astimezone(None)), 'utcnow': DatetimeWrapper(aware), 'pid': 4242, 'uuid4': 'fixed-uuid'}
out = []
for f in cases['formats']:
    try:
        out.append({'ok': replace_placeholders(f, overrides)})
    except Error as e:
        out.append({'error': type(e).__name__})
    except ValueError:
        out.append({'error': 'ValueError'})
print(json.dumps(out))
`;

function ours(format: string): { ok?: string; error?: string } {
  const now = new Date(Math.floor(NOW * 1000));
  try {
    const micros = Math.round((NOW % 1) * 1e6);
    const utc = utcTime(new Date(Math.floor(NOW) * 1000), micros);
    return {
      ok: replacePlaceholders(format, {
        now,
        overrides: { pid: 4242, uuid4: 'fixed-uuid', utcnow: new DatetimeValue(utc) },
      }),
    };
  } catch (error) {
    if (error instanceof InvalidPlaceholder) return { error: 'InvalidPlaceholder' };
    if (error instanceof PlaceholderError) return { error: 'PlaceholderError' };
    if (error instanceof UsageError) return { error: 'ValueError' };
    throw error;
  }
}

describe('replacePlaceholders', () => {
  it('agrees with borg 1.2.4 replace_placeholders', () => {
    const expected = python<Array<{ ok?: string; error?: string }>>(ORACLE, { now: NOW, formats: FORMATS });
    FORMATS.forEach((format, i) => {
      const mine = ours(format);
      // {now} keeps the Date's milliseconds only; compare it down to those.
      if (format.includes('%f') && mine.ok !== undefined) {
        assert.equal(mine.ok.replace(/\.654000/, '.654321'), expected[i]!.ok, format);
      } else {
        assert.deepEqual(mine, expected[i], format);
      }
    });
  });

  it('gives a new uuid each time and the real pid by default', () => {
    assert.notEqual(replacePlaceholders('{uuid4}'), replacePlaceholders('{uuid4}'));
    assert.match(replacePlaceholders('{uuid4}'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(replacePlaceholders('{pid}'), String(process.pid));
    assert.equal(replacePlaceholders('{borgversion}'), BORG_VERSION);
  });

  it('names the key and the format in InvalidPlaceholder', () => {
    assert.throws(() => replacePlaceholders('x-{nope}'), (e: unknown) =>
      e instanceof InvalidPlaceholder && e.code === 'InvalidPlaceholder' && e.message.includes('"nope"') && !e.message.includes('\n'));
  });
});

describe('formatValue', () => {
  // [value (floats as {f}), spec]
  // JSON cannot carry -0, so that float travels as text.
  const CASES: Array<[unknown, string]> = [
    ['ab', '05'], ['ab', '<05'], ['ab', '>5'], ['ab', '*^7'], ['abcdef', '.3'], ['ab', 's'], ['ünï', '^7'], ['ab', ''],
    // Padding counts code points: a character beyond the BMP is one (two UTF-16 units).
    ['\u{1F600}x', '^6'], ['\u{1F600}x', '*>4'], ['x\u{1F600}\u{1F600}', '<5'],
    [42, '05'], [-42, '=+8'], [42, '#x'], [42, '#010b'], [1234567, ','], [1234567, '_x'], [42, 'c'], [42, '.2f'],
    [42, 'e'], [42, 'g'], [42, '%'], [42, ' '], [-42, ' 5'], [255, '#o'], [255, 'X'], [-1234567, '_'], [42, 'n'], [0, ''],
    [{ f: '-0.0' }, ''], [{ f: 0.5 }, '.0f'], [{ f: 1.5 }, '.0f'], [{ f: 2.5 }, '.0f'], [{ f: 1e16 }, ''], [{ f: 1e-5 }, ''],
    [{ f: 123456789.0 }, 'g'], [{ f: 0.0001 }, 'g'], [{ f: 1e-5 }, '.3g'], [{ f: 3.0 }, '#g'], [{ f: 3.0 }, '.3'],
    [{ f: 1234.5 }, ',.1f'], [{ f: 100.0 }, '.3'], [{ f: 1.125 }, '.2f'], [{ f: 1.125 }, '.2e'], [{ f: 9.9996 }, '.3g'],
    [{ f: 0.1 }, ''], [{ f: 1 / 3 }, ''], [{ f: 2.5e-7 }, ''], [{ f: 12345.678 }, '>12.2f'], [{ f: 0.000123456 }, '.2e'],
    [{ f: 3.0 }, '.0f'], [{ f: 3.0 }, '#.0f'], [{ f: 0.125 }, '.2%'], [{ f: 1e22 }, 'f'], [{ f: 5e-324 }, 'g'],
    [true, ''], [true, 'd'], [true, '>3'], [null, ''],
    ['ab', '=5'], ['ab', '+5'], ['ab', '#5'], ['ab', ','], ['ab', 'd'], [42, '.2'], [42, 's'], [null, '5'], [42, '  ^ 9'],
  ];
  const ORACLE_FORMAT = String.raw`
import json, sys
out = []
for value, spec in json.load(sys.stdin):
    if isinstance(value, dict):
        value = float(value['f'])
    try:
        out.append({'ok': format(value, spec)})
    except (ValueError, TypeError) as e:
        out.append({'error': type(e).__name__})
print(json.dumps(out))
`;

  it("matches Python's format()", () => {
    const expected = python<Array<{ ok?: string; error?: string }>>(ORACLE_FORMAT, CASES);
    CASES.forEach(([raw, spec], i) => {
      const value = (typeof raw === 'object' && raw !== null ? new PyFloat(Number((raw as { f: number | string }).f)) : raw) as FormatValue;
      let mine: { ok?: string; error?: string };
      try {
        mine = { ok: formatLine(`{v:${spec}}`, { v: value }) };
      } catch (error) {
        assert.ok(error instanceof PlaceholderError, `unexpected ${String(error)}`);
        mine = { error: expected[i]!.error ?? 'PlaceholderError' };
      }
      assert.deepEqual(mine, expected[i], `format(${JSON.stringify(raw)}, ${JSON.stringify(spec)})`);
    });
  });

  it('formats plain JS numbers as int or float by their value', () => {
    assert.equal(formatValue(3, ''), '3');
    assert.equal(formatValue(3.5, ''), '3.5');
    assert.equal(formatValue(2n ** 70n, ','), '1,180,591,620,717,411,303,424');
  });
});

it('{now:%f} and {utcnow:%f} carry microseconds of the current time, as Python datetime.now()', () => {
  // Over many samples a millisecond-only clock would always end in 000.
  const samples = Array.from({ length: 200 }, () => replacePlaceholders('{now:%f}|{utcnow:%f}'));
  for (const s of samples) {
    const [local, utc] = s.split('|');
    assert.match(local!, /^\d{6}$/);
    assert.equal(local, utc, 'one moment for both keys');
  }
  assert.ok(samples.some((s) => !s.startsWith('000', 3)), `some sample has sub-millisecond digits: ${samples.slice(0, 5).join(', ')}`);
});
