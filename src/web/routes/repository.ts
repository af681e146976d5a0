// Session, jobs and the repository page: archives with their sizes, and (from the statistics job)
// deduplicated sizes and the repository's growth over time.
import { HANDLED } from '../http/router.js';
import { WebError } from '../errors.js';
import { archiveSummaries } from '../repository-summary.js';
import { repositoryOf, type Ctx } from './context.js';

export function session(ctx: Ctx): unknown {
  return {
    csrf: ctx.app.auth.csrf,
    allowRestore: ctx.app.allowRestore,
    repositories: ctx.app.repositories.map((r) => ({ number: r.number, location: r.handle.name, id: r.handle.idHex })),
  };
}

export function events(ctx: Ctx): typeof HANDLED {
  ctx.app.jobs.stream(ctx.res);
  return HANDLED;
}

export function job(ctx: Ctx): unknown {
  const found = ctx.app.jobs.get(ctx.params['id'] ?? '');
  if (found === undefined) throw new WebError(404, 'No such job');
  return found;
}

export async function archives(ctx: Ctx): Promise<unknown> {
  const repository = repositoryOf(ctx);
  return repository.handle.read(async (source) => {
    const list = await archiveSummaries(repository.handle, source);
    const { growth, job } = repository.growth(source);
    const byName = new Map(growth?.archives.map((g) => [g.name, g]) ?? []);
    return {
      repository: { number: repository.number, location: repository.handle.name, id: repository.handle.idHex },
      archives: list.map((a) => {
        const g = byName.get(a.name);
        return { ...a, deduplicatedSize: g?.deduplicatedSize ?? null, storedTotal: g?.storedTotal ?? null, originalTotal: g?.originalTotal ?? null };
      }),
      statsJob: job ?? null,
    };
  });
}

/** Starts building every missing archive tree (search and history need them all). */
export async function buildIndexes(ctx: Ctx): Promise<unknown> {
  const repository = repositoryOf(ctx);
  return repository.handle.read(async (source) => {
    const { job } = await repository.allTrees(source);
    return { job: job ?? null };
  });
}
