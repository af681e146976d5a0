import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RemoteLogLineBuffer, parseRemoteLogLine } from '../../src/remote/rpc/rpc-log-lines.js';

describe('server stderr lines', () => {
  it('parses $LOG lines, stripping "Remote: "', () => {
    assert.deepEqual(parseRemoteLogLine('$LOG WARNING borg.repository Remote: disk almost full'), { kind: '$LOG', level: 'WARNING', name: 'borg.repository', message: 'disk almost full' });
    assert.deepEqual(parseRemoteLogLine('$LOG ERROR x plain text'), { kind: '$LOG', level: 'ERROR', name: 'x', message: 'plain text' });
    assert.deepEqual(parseRemoteLogLine('$LOG NOTALEVEL x Remote: y'), { kind: 'other', line: '$LOG NOTALEVEL x Remote: y' });
    assert.deepEqual(parseRemoteLogLine('$LOG INFO'), { kind: 'other', line: '$LOG INFO' });
  });

  it('parses JSON log and progress lines, keeping msgid when present', () => {
    assert.deepEqual(parseRemoteLogLine('{"type": "log_message", "time": 1.5, "message": "m", "levelname": "INFO", "name": "borg.x", "msgid": "Repository.DoesNotExist"}'), {
      kind: 'log_message', time: 1.5, message: 'm', level: 'INFO', name: 'borg.x', msgid: 'Repository.DoesNotExist',
    });
    assert.deepEqual(parseRemoteLogLine('{"type": "progress_message", "operation": 2, "msgid": null, "finished": false, "message": "Checking", "time": 3}'), {
      kind: 'progress_message', operation: 2, msgid: null, finished: false, message: 'Checking', time: 3,
    });
  });

  it('treats anything else as a plain line', () => {
    for (const line of ['Traceback (most recent call last):', '{not json', '{"type": "other"}', '[1]', '{"type": "log_message", "levelname": "LOUD", "message": "m", "name": "n", "time": 1}',
      '{"type": "progress_percent", "operation": "1", "finished": true, "time": 1, "msgid": null}', 'borg: command not found']) {
      assert.deepEqual(parseRemoteLogLine(line), { kind: 'other', line });
    }
  });

  it('buffers partial lines, splits at \\n and \\r, skips empty lines and keeps split UTF-8 intact', () => {
    const buf = new RemoteLogLineBuffer();
    const text = Buffer.from('$LOG INFO a Remote: héllo ☃\r\nsecond\rthird\n\nlast-unterminated', 'utf8');
    const out = [];
    for (const b of text) out.push(...buf.push(Buffer.from([b])));
    assert.deepEqual(out, [
      { kind: '$LOG', level: 'INFO', name: 'a', message: 'héllo ☃' },
      { kind: 'other', line: 'second' },
      { kind: 'other', line: 'third' },
    ]);
    assert.deepEqual(buf.flush(), [{ kind: 'other', line: 'last-unterminated' }]);
    assert.deepEqual(buf.flush(), []);
  });
});
