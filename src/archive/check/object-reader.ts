// Pipelined reads that survive damage: `getMany` keeps requests in flight (remote repositories), but
// one missing or unreadable object ends its iteration. Here such an object becomes a result with its
// error, and the reads go on with a new `getMany` for the rest, as borg's checker does.
import { BorgError, IntegrityError } from '../../errors.js';
import type { Repository } from '../../repository/repository.js';

export type ObjectRead = { id: Buffer; envelope: Buffer; error?: undefined } | { id: Buffer; envelope?: undefined; error: BorgError };

/** Errors that belong to one object: it is gone, or its stored bytes fail the segment checks. */
export function isObjectError(error: unknown): error is BorgError {
  return error instanceof IntegrityError || (error instanceof BorgError && error.code === 'ObjectNotFound');
}

/** The objects `ids` in order; unreadable ones come back with their error instead of stopping the reads. */
export async function* readObjects(repository: Repository, ids: readonly Buffer[]): AsyncIterable<ObjectRead> {
  let next = 0;
  while (next < ids.length) {
    try {
      for await (const envelope of repository.getMany(ids.slice(next))) {
        const id = ids[next]!;
        next += 1;
        yield { id, envelope };
      }
    } catch (error) {
      if (!isObjectError(error) || next >= ids.length) throw error;
      const id = ids[next]!;
      next += 1;
      yield { id, error };
    }
  }
}
