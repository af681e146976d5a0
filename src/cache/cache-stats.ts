// Statistics as borg reports them: per operation (the archive being created or deleted: original,
// compressed and deduplicated sizes, file counts, with separate totals for checkpoint part files)
// and cache-wide (the `info` summary over the whole chunk index).
import type { ChunkIndex } from '../format/hashindex.js';

/** The statistics stored in archive metadata (spec §5.3: size, csize, nfiles and the `_parts` fields). */
export interface RawStatistics {
  size: number;
  csize: number;
  nfiles: number;
  size_parts: number;
  csize_parts: number;
  nfiles_parts: number;
}

/** The `--json` form (borg's Statistics.as_dict). */
export interface StatisticsJson {
  original_size: number;
  compressed_size: number;
  deduplicated_size: number;
  nfiles: number;
}

/** borg's Statistics: sizes of the chunks an operation referenced; part files counted apart. */
export class Statistics {
  osize = 0;
  csize = 0;
  /** Compressed size of the chunks that were new (added) or freed (deleted). */
  usize = 0;
  nfiles = 0;
  osizeParts = 0;
  csizeParts = 0;
  usizeParts = 0;
  nfilesParts = 0;

  /** Counts one chunk reference (negative sizes for removed references); `unique` if it was stored or freed. */
  update(size: number, csize: number, unique: boolean, part = false): void {
    if (part) {
      this.osizeParts += size;
      this.csizeParts += csize;
      if (unique) this.usizeParts += csize;
    } else {
      this.osize += size;
      this.csize += csize;
      if (unique) this.usize += csize;
    }
  }

  /** The sum of two statistics (borg's `+`), as a new object. */
  plus(other: Statistics): Statistics {
    const s = new Statistics();
    s.osize = this.osize + other.osize;
    s.csize = this.csize + other.csize;
    s.usize = this.usize + other.usize;
    s.nfiles = this.nfiles + other.nfiles;
    s.osizeParts = this.osizeParts + other.osizeParts;
    s.csizeParts = this.csizeParts + other.csizeParts;
    s.usizeParts = this.usizeParts + other.usizeParts;
    s.nfilesParts = this.nfilesParts + other.nfilesParts;
    return s;
  }

  asDict(): StatisticsJson {
    return { original_size: this.osize, compressed_size: this.csize, deduplicated_size: this.usize, nfiles: this.nfiles };
  }

  asRawDict(): RawStatistics {
    return {
      size: this.osize, csize: this.csize, nfiles: this.nfiles,
      size_parts: this.osizeParts, csize_parts: this.csizeParts, nfiles_parts: this.nfilesParts,
    };
  }

  /** Statistics from archive metadata (the unique sizes are not stored there and stay 0). */
  static fromRawDict(raw: RawStatistics): Statistics {
    const s = new Statistics();
    s.osize = raw.size;
    s.csize = raw.csize;
    s.nfiles = raw.nfiles;
    s.osizeParts = raw.size_parts;
    s.csizeParts = raw.csize_parts;
    s.nfilesParts = raw.nfiles_parts;
    return s;
  }
}

/**
 * The cache-wide numbers of `borg info` (`cache.stats` in --json), straight from the chunk index:
 * totals weight each chunk by its refcount, unique values count it once. borg's `info` replaces
 * total_size and total_csize by the sums over all archives' metadata, which count chunks shared by
 * part files and their complete file only once; that sum is the archive layer's to compute.
 */
export interface CacheSummary {
  total_chunks: number;
  total_csize: number;
  total_size: number;
  total_unique_chunks: number;
  unique_csize: number;
  unique_size: number;
}

export function cacheSummary(chunks: ChunkIndex): CacheSummary {
  const s = chunks.summarize();
  return {
    total_chunks: s.totalChunks, total_csize: s.totalCsize, total_size: s.totalSize,
    total_unique_chunks: s.totalUniqueChunks, unique_csize: s.uniqueCsize, unique_size: s.uniqueSize,
  };
}
