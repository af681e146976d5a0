// The API: every endpoint of the web server in one table.
import { Router } from '../http/router.js';
import { downloadDirectory, content, itemDetails, listDirectory, preview } from './browse.js';
import { archiveDiff, fileDiff, history, search } from './compare.js';
import type { WebApp } from './context.js';
import { archives, buildIndexes, events, job, session } from './repository.js';
import { restore } from './restore.js';

export type { WebApp } from './context.js';

export function apiRoutes(): Router<WebApp> {
  return new Router<WebApp>()
    .get('/api/session', session)
    .get('/api/events', events)
    .get('/api/jobs/:id', job)
    .get('/api/repos/:repo/archives', archives)
    .post('/api/repos/:repo/index', buildIndexes)
    .get('/api/repos/:repo/archives/:archive/dir', listDirectory)
    .get('/api/repos/:repo/archives/:archive/item', itemDetails)
    .get('/api/repos/:repo/archives/:archive/preview', preview)
    .get('/api/repos/:repo/archives/:archive/content', content)
    .get('/api/repos/:repo/archives/:archive/download', downloadDirectory)
    .get('/api/repos/:repo/search', search)
    .get('/api/repos/:repo/history', history)
    .get('/api/repos/:repo/file-diff', fileDiff)
    .get('/api/repos/:repo/diff', archiveDiff)
    .post('/api/repos/:repo/restore', restore);
}
