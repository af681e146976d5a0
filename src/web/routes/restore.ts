// Restoring (only with --allow-restore): a file or directory of an archive into a directory on
// the server, as a job with progress. The item lands in the chosen directory under its own name;
// nothing that already exists there is overwritten.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { extractArchive } from '../../archive/extract/index.js';
import { buildMatcher } from '../../archive/patterns/index.js';
import type { ProgressEvent } from '../../progress.js';
import { WebError } from '../errors.js';
import { archivePath, serverPath } from '../http/request-params.js';
import { repositoryOf, type Ctx } from './context.js';

export function restore(ctx: Ctx): unknown {
  if (!ctx.app.allowRestore) throw new WebError(403, 'Restoring is not enabled (start borg-ts web with --allow-restore)');
  const repository = repositoryOf(ctx);
  const body = (typeof ctx.body === 'object' && ctx.body !== null ? ctx.body : {}) as Record<string, unknown>;
  if (typeof body['archive'] !== 'string' || body['archive'] === '') throw new WebError(400, "Missing 'archive'");
  if (typeof body['path'] !== 'string') throw new WebError(400, "Missing 'path'");
  const archiveName = body['archive'];
  const path = archivePath(body['path']);
  const destination = serverPath(body['destination']);
  let isDirectory = false;
  try {
    isDirectory = statSync(destination).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory) throw new WebError(400, `The destination ${destination} is not an existing directory`);
  const target = path === '' ? destination : join(destination, path.slice(path.lastIndexOf('/') + 1));
  if (path === '' ? readdirSync(destination).length > 0 : existsSync(target)) {
    throw new WebError(409, path === '' ? `${destination} is not empty` : `${target} already exists`);
  }
  const job = ctx.app.jobs.start('restore', `restore ${repository.number} ${target}`, `Restoring ${path || archiveName} to ${target}`, async (control) => {
    return repository.handle.read(async (source) => {
      const archive = await repository.handle.archive(source, archiveName);
      const progress = {
        emit(event: ProgressEvent) {
          if (event.type === 'progress_percent' && event.total !== undefined) control.progress(event.current ?? 0, event.total, event.info?.[0] ?? '');
        },
      };
      const warnings: string[] = [];
      const result = await extractArchive(source, archive, {
        destination,
        ...(path === '' ? {} : { matcher: buildMatcher([], [path]), stripComponents: path.split('/').length - 1 }),
        progress, signal: control.signal,
        warnings: { warn: (w) => warnings.push(w.message) },
      });
      return { target, warnings, result };
    });
  });
  return { job };
}
