// Errors of the compression layer.

import { IntegrityError, UsageError } from '../errors.js';

/** A `--compression` value that is not a valid compression spec. */
export class InvalidCompressionSpec extends UsageError {}

/** Compressed data that cannot be decompressed: corrupt, truncated, or larger than allowed (borg's name). */
export class DecompressionError extends IntegrityError {}

/** The payload starts with a header of no known compressor. */
export class UnknownCompression extends DecompressionError {}
