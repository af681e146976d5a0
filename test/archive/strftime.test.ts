import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { localTime, naive, strftime, utcTime } from '../../src/archive/strftime.js';
import { python } from '../cli/borg-python.js';

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney', 'Europe/London'];

// Seconds since the epoch, microseconds included: epoch, 2001, winter and summer 2026, ISO-week
// corner cases (1999-12-31 is in 1999-W52, 2005-01-01 in 2004-W53, 2008-12-29 in 2009-W01), a leap day,
// noon and midnight for %I/%p.
const TIMES = [0, 1_000_000_000.123456, 1_767_567_600.5, 1_782_000_000.999999, 946_684_799, 1_104_537_600,
  1_230_508_800, 1_709_164_800, 1_709_208_000, 1_709_251_199];

const FORMATS = [
  '%Y-%m-%dT%H:%M:%S.%f', '%a %A %b %B %h %p %P', '%c|%x|%X|%D|%F|%r|%R|%T', '%e|%k|%l|%I|%C|%y|%g|%G|%V|%u|%w',
  '%j|%U|%W|%s', '%z|%Z', '%%|%n|%t|%Q|trailing %', '%-d|%_d|%05d|%^a|%#a|%#p|%10A|%-j|%010A|%^10B|%-5S|%_3Y',
  '%Ey|%Od|%EY|%E|%Ef|%5f|%-f', '%-z|%_z|%10z|%^Z|%10Z|%-Z|%Ez', '{now} literal text',
];

const ORACLE = String.raw`
import json, sys
from datetime import datetime, timezone
cases = json.load(sys.stdin)
out = []
for t in cases['times']:
    aware = datetime.fromtimestamp(t, timezone.utc)
    local = aware.astimezone(None)
    out.append([[local.strftime(f), aware.strftime(f), local.replace(tzinfo=None).strftime(f)] for f in cases['formats']])
print(json.dumps(out))
`;

describe('strftime', () => {
  const savedTz = process.env['TZ'];
  after(() => {
    if (savedTz === undefined) delete process.env['TZ'];
    else process.env['TZ'] = savedTz;
  });

  for (const zone of ZONES) {
    it(`matches Python's datetime.strftime in ${zone}`, () => {
      const expected = python<string[][][]>(ORACLE, { times: TIMES, formats: FORMATS }, { TZ: zone });
      process.env['TZ'] = zone;
      TIMES.forEach((t, i) => {
        const whole = Math.floor(t);
        const micros = Math.round((t - whole) * 1e6);
        const date = new Date(whole * 1000);
        FORMATS.forEach((format, j) => {
          const [local, utc, plain] = expected[i]![j]!;
          // Known gap: zone names come from ICU, which calls London's 1968-71 all-year summer time "GMT+1", not "BST".
          if (zone === 'Europe/London' && t === 0 && format.includes('%Z')) return;
          assert.equal(strftime(format, localTime(date, micros)), local, `local ${format} at ${t}`);
          assert.equal(strftime(format, utcTime(date, micros)), utc, `utc ${format} at ${t}`);
          assert.equal(strftime(format, naive(localTime(date, micros))), plain, `naive ${format} at ${t}`);
        });
      });
    });
  }

  it('defaults the microseconds to those of the Date', () => {
    assert.equal(strftime('%f', utcTime(new Date(1234))), '234000');
  });
});
