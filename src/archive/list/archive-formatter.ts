// The lines (or JSON objects) of `list REPOSITORY`: one per archive, with borg's archive --format
// keys (spec §8.3). Name, id and start time come from the manifest; the other keys need the
// archive's metadata object, which is loaded only when the format uses one of them.

import type { FormatValue } from '../placeholders.js';
import { type ArchiveSource } from '../archive-reader.js';
import { loadArchiveMeta, type LoadedArchiveMeta } from '../archive-meta.js';
import { formatCommandLine, removeSurrogates } from '../display-text.js';
import type { ArchiveEntry } from '../manifest.js';
import { OutputTimestamp } from '../output-timestamp.js';
import { checkFormatFields, compileFormat, FIXED_KEYS, formatFieldNames } from './format-fields.js';
import { ARCHIVE_FORMAT_KEYS, METADATA_KEYS } from './format-keys.js';

export { ARCHIVE_FORMAT_KEYS, DEFAULT_ARCHIVE_FORMAT, SHORT_ARCHIVE_FORMAT } from './format-keys.js';

export interface ArchiveFormatterOptions {
  /** Build JSON objects (for borg's `list --json`) instead of formatted text. */
  json?: boolean;
}

export type ArchiveData = Record<string, FormatValue | string[]>;

export class ArchiveFormatter {
  readonly #render: (data: Record<string, FormatValue>) => string;
  readonly #metadataKeys: string[];

  constructor(format: string, private readonly source: ArchiveSource, private readonly options: ArchiveFormatterOptions = {}) {
    if (!options.json) checkFormatFields(format, new Set(ARCHIVE_FORMAT_KEYS));
    this.#render = compileFormat(format);
    this.#metadataKeys = [...formatFieldNames(format)].filter((key) => METADATA_KEYS.includes(key));
  }

  /** A formatted line, or (json) the object for the "archives" list. */
  async format(entry: ArchiveEntry): Promise<string | ArchiveData> {
    const data = await this.archiveData(entry);
    return this.options.json ? data : this.#render(data as Record<string, FormatValue>);
  }

  async archiveData(entry: ArchiveEntry): Promise<ArchiveData> {
    const start = OutputTimestamp.fromUtcIso(entry.time);
    const data: ArchiveData = {
      ...(this.options.json ? {} : FIXED_KEYS),
      name: removeSurrogates(entry.name),
      archive: removeSurrogates(entry.name),
      barchive: entry.name,
      id: entry.id.toString('hex'),
      time: start,
      start,
    };
    if (this.#metadataKeys.length > 0) {
      const loaded = await loadArchiveMeta(this.source.repository, this.source.codec, this.source.key, entry.id);
      for (const key of this.#metadataKeys) data[key] = this.#metadataValue(key, loaded);
    }
    return data;
  }

  #metadataValue(key: string, { meta, tamVerified }: LoadedArchiveMeta): FormatValue | string[] {
    switch (key) {
      case 'hostname': return removeSurrogates(meta.hostname ?? '');
      case 'username': return removeSurrogates(meta.username ?? '');
      case 'comment': return removeSurrogates(meta.comment ?? '');
      case 'bcomment': return meta.comment ?? '';
      case 'end': return OutputTimestamp.fromUtcIso(meta.timeEnd || meta.time);
      case 'command_line': return this.options.json ? meta.cmdline.map(removeSurrogates) : formatCommandLine(meta.cmdline);
      case 'tam': return tamVerified ? 'verified' : 'none';
      default: throw new RangeError(`Unknown archive format key "${key}"`);
    }
  }
}
