// `info ARCHIVE` as data: borg's archive info record (spec §8.4), with borg's keys so that it is
// the `--json` output as it stands, and the text rendering reads the same values.

import { chunkerParamsToArchive, MAX_DATA_SIZE, type ArchiveChunkerParams } from '../chunker/chunker-params.js';
import type { StatisticsJson } from '../cache/cache-stats.js';
import type { ArchiveSource } from './archive-reader.js';
import { openArchive } from './archive-reader.js';
import { calcArchiveStats, type ArchiveStatsOptions } from './archive-stats.js';
import { OutputTimestamp } from './output-timestamp.js';
import { PyFloat } from './placeholders.js';
import { parseUtcIso } from './timestamps.js';

export interface ArchiveInfo {
  name: string;
  /** Hex id of the metadata object. */
  id: string;
  start: OutputTimestamp;
  end: OutputTimestamp;
  /** Seconds from start to end (a float in JSON). */
  duration: PyFloat;
  stats: StatisticsJson;
  /** `max_archive_size`: the metadata object's share of the largest object (it lists every item chunk id). */
  limits: { max_archive_size: PyFloat };
  command_line: string[];
  hostname: string;
  username: string;
  comment: string;
  /** As stored (4-value legacy form with "buzhash" added), or '' when the archive has none. */
  chunker_params: ArchiveChunkerParams | '';
}

/** The info record of archive `name` (deduplicated size against `options.chunks`). */
export async function archiveInfo(source: ArchiveSource, name: string, options: Omit<ArchiveStatsOptions, 'wantUnique'>): Promise<ArchiveInfo> {
  const archive = await openArchive(source, name);
  const { meta } = archive;
  const stats = await calcArchiveStats(source, archive, options);
  const end = meta.timeEnd || meta.time;
  return {
    name: meta.name,
    id: archive.id.toString('hex'),
    start: OutputTimestamp.fromUtcIso(meta.time),
    end: OutputTimestamp.fromUtcIso(end),
    // Both times have microseconds; the float is computed from whole microseconds, as Python's timedelta does.
    duration: new PyFloat(Number(parseUtcIso(end) - parseUtcIso(meta.time)) / 1e6),
    stats: stats.asDict(),
    limits: { max_archive_size: new PyFloat(archive.csize / MAX_DATA_SIZE) },
    command_line: meta.cmdline,
    hostname: meta.hostname ?? '',
    username: meta.username ?? '',
    comment: meta.comment ?? '',
    chunker_params: meta.chunkerParams === undefined ? '' : chunkerParamsToArchive(meta.chunkerParams),
  };
}
