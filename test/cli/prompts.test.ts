import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';

import { lineReader, yes, type YesOptions } from '../../src/cli/prompts.js';
import { python } from './borg-python.js';

interface Scenario {
  options: YesOptions;
  env: Record<string, string>;
  /** Lines typed by the user; running out means end of input. */
  input: string[];
  json: boolean;
}

const MESSAGES = { message: 'Continue? ', falseMessage: 'No.', trueMessage: 'Yes.', defaultMessage: 'Default.', retryMessage: 'Again? ', invalidMessage: 'What?' };

const SCENARIOS: Scenario[] = [
  { options: { ...MESSAGES, envVar: 'BORG_X' }, env: { BORG_X: 'y' }, input: [], json: false },
  { options: { ...MESSAGES, envVar: 'BORG_X' }, env: { BORG_X: 'maybe' }, input: ['n'], json: false },
  { options: { ...MESSAGES, envVar: 'BORG_X', retry: false }, env: { BORG_X: 'maybe' }, input: [], json: false },
  { options: { ...MESSAGES }, env: {}, input: ['huh', '', 'y'], json: false },
  { options: { ...MESSAGES, default: true }, env: {}, input: [], json: false },
  { options: { ...MESSAGES, truish: ['YES'], retry: false }, env: {}, input: ['yes'], json: false },
  { options: { ...MESSAGES, envVar: 'BORG_X', msgid: 'Q1' }, env: { BORG_X: 'maybe' }, input: ['x', 'YES'], json: true },
  { options: { ...MESSAGES, prompt: false, default: true }, env: {}, input: ['n'], json: false },
];

const ORACLE = String.raw`
import io, json, logging, os, sys
from borg.helpers.yes import yes
out = []
for s in json.load(sys.stdin):
    o = s['options']
    for k in list(os.environ):
        if k.startswith('BORG_X'): del os.environ[k]
    os.environ.update(s['env'])
    logging.getLogger('borg').json = s['json']
    lines = list(s['input'])
    def read():
        if not lines: raise EOFError
        return lines.pop(0)
    ofile = io.StringIO()
    real_stderr = sys.stderr
    sys.stderr = ofile
    try:
        kw = dict(msg=o.get('message'), false_msg=o.get('falseMessage'), true_msg=o.get('trueMessage'),
                  default_msg=o.get('defaultMessage'), retry_msg=o.get('retryMessage'), invalid_msg=o.get('invalidMessage'),
                  default=o.get('default', False), retry=o.get('retry', True), env_var_override=o.get('envVar'),
                  prompt=o.get('prompt', True), msgid=o.get('msgid'), ofile=ofile, input=read)
        if 'truish' in o: kw['truish'] = tuple(o['truish'])
        result = yes(**kw)
    finally:
        sys.stderr = real_stderr
    out.append([result, ofile.getvalue()])
print(json.dumps(out))
`;

describe('yes', () => {
  it('answers and prints like borg helpers.yes', async () => {
    const expected = python<Array<[boolean, string]>>(ORACLE, SCENARIOS);
    for (const [i, scenario] of SCENARIOS.entries()) {
      let written = '';
      const lines = [...scenario.input];
      const result = await yes(scenario.options, {
        env: scenario.env, json: scenario.json, write: (text) => {
          written += text;
        },
        readLine: async () => lines.shift() ?? null,
      });
      assert.deepEqual([result, written], expected[i], `scenario ${i}`);
    }
  });
});

describe('lineReader', () => {
  it('returns lines on demand and null at the end', async () => {
    const read = lineReader(Readable.from([Buffer.from('one\ntw'), Buffer.from([0xc3]), Buffer.from([0xa9, 0x0a]), 'last']));
    assert.deepEqual([await read(), await read(), await read(), await read()], ['one', 'twé', 'last', null]);
  });
});
