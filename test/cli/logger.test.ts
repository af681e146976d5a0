import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

import { LogManager } from '../../src/cli/logger.js';
import { ProgressRenderer } from '../../src/cli/progress.js';
import { MessageProgress, PercentProgress } from '../../src/progress.js';
import { BORG_BASE_DIR } from './borg-python.js';

function capture(options: { level?: 'debug' | 'info' | 'warning'; json?: boolean } = {}) {
  const lines: string[] = [];
  const logs = new LogManager({ ...options, write: (text) => lines.push(text), clock: () => 1_795_310_968.8978298 });
  return { logs, lines };
}

describe('LogManager', () => {
  it('writes --log-json lines shaped like real borg', () => {
    const borg = spawnSync('borg', ['--log-json', 'list', '/nonexistent-borg-ts-test'], {
      encoding: 'utf8', env: { ...process.env, BORG_BASE_DIR },
    });
    assert.equal(borg.status, 2);
    const theirs = JSON.parse(borg.stderr.trim().split('\n').at(-1)!) as Record<string, unknown>;
    const { logs, lines } = capture({ json: true });
    logs.getLogger('borg.archiver').error('Repository /nonexistent-borg-ts-test does not exist.', 'Repository.DoesNotExist');
    const ours = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(ours), Object.keys(theirs));
    for (const key of Object.keys(theirs)) assert.equal(typeof ours[key], typeof theirs[key], key);
    assert.deepEqual({ ...ours, time: 0, message: '' }, { ...theirs, time: 0, message: '' });
    // Python's json.dumps separators and float repr.
    assert.equal(lines[0], '{"type": "log_message", "time": 1795310968.8978298, "message": "Repository /nonexistent-borg-ts-test does not exist.", '
      + '"levelname": "ERROR", "name": "borg.archiver", "msgid": "Repository.DoesNotExist"}\n');
  });

  it('filters by level through the logger hierarchy', () => {
    const { logs, lines } = capture({ level: 'warning' });
    logs.getLogger('borg.repository').info('hidden');
    logs.setLevel('borg.output.list', 'info');
    logs.getLogger('borg.output.list').info('A file');
    logs.getLogger('borg.output.list').child('sub').info('also shown');
    logs.getLogger('borg.archiver').warning('shown');
    assert.deepEqual(lines, ['A file\n', 'also shown\n', 'shown\n']);
  });

  it('keeps debug topics quiet unless enabled', () => {
    const { logs, lines } = capture({ level: 'debug' });
    logs.getLogger('borg.debug.files_cache').debug('quiet');
    logs.getLogger('borg.repository').debug('loud');
    logs.setLevel('borg.debug.files_cache', 'debug');
    logs.getLogger('borg.debug.files_cache').debug('now shown');
    assert.deepEqual(lines, ['loud\n', 'now shown\n']);
  });

  it('lets library code name its logger through the sink', () => {
    const { logs, lines } = capture({ json: true, level: 'info' });
    logs.getLogger('borg.archiver').log('info', '', { name: 'borg.cache' });
    assert.deepEqual(JSON.parse(lines[0]!), { type: 'log_message', time: 1_795_310_968.8978298, message: '', levelname: 'INFO', name: 'borg.cache' });
  });
});

describe('ProgressRenderer', () => {
  const render = (json: boolean, events: (sink: ProgressRenderer) => void, columns?: number) => {
    const out: string[] = [];
    const { logs, lines } = capture({ json });
    logs.setLevel('borg.output.list', 'info');
    const renderer = new ProgressRenderer({ json, write: (t) => out.push(t), columns, listLogger: logs.getLogger('borg.output.list'), clock: () => 100.5 });
    events(renderer);
    return { out, lines };
  };

  it('serialises events in borg key order', () => {
    const { out } = render(true, (sink) => {
      const percent = new PercentProgress(sink, { total: 4, msgid: 'check.verify_data', step: 50 });
      percent.show(undefined, ['a']);
      percent.show();
      percent.show();
      percent.finish();
      const message = new MessageProgress(sink, 'cache.commit');
      message.show('Saving cache');
      message.finish();
      sink.emit({ type: 'archive_progress', finished: false, original_size: 10, compressed_size: 5, deduplicated_size: 2, nfiles: 1, path: 'x' });
      sink.emit({ type: 'archive_progress', finished: true });
      sink.emit({ type: 'file_status', status: 'A', path: 'home/x' });
    });
    const keys = out.map((line) => Object.keys(JSON.parse(line) as object).join(','));
    assert.deepEqual(keys, [
      'message,current,total,info,operation,msgid,type,finished,time',
      'message,current,total,operation,msgid,type,finished,time',
      'operation,msgid,type,finished,time',
      'message,operation,msgid,type,finished,time',
      'operation,msgid,type,finished,time',
      'original_size,compressed_size,deduplicated_size,nfiles,path,time,type,finished',
      'time,type,finished',
      'type,status,path',
    ]);
    assert.match(out[0]!, /^\{"message": "  0%", "current": 1, "total": 4, "info": \["a"\], "operation": \d+, "msgid": "check.verify_data", "type": "progress_percent", "finished": false, "time": 100.5\}\n$/);
  });

  it('overwrites text lines and sends file status to the list logger', () => {
    const { out, lines } = render(false, (sink) => {
      sink.emit({ type: 'progress_message', operation: 1, msgid: null, finished: false, message: 'Working' });
      sink.emit({ type: 'progress_message', operation: 1, msgid: null, finished: true });
      sink.emit({ type: 'archive_progress', finished: false, original_size: 1500, compressed_size: 1000, deduplicated_size: 0, nfiles: 3, path: 'a/very/long/path/to/a/file/name.txt' });
      sink.emit({ type: 'file_status', status: 'M', path: 'etc/hosts' });
    }, 60);
    // The path part is borg's ellipsis_truncate(path, 30).
    assert.deepEqual(out, [`${'Working'.padEnd(60)}\r`, `${''.padEnd(60)}\r`, '1.50 kB O 1.00 kB C 0 B D 3 N a/very/long/...a/file/name.txt\r']);
    assert.deepEqual(lines, ['M etc/hosts\n']);
  });
});
