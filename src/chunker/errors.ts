// Errors of the chunker layer.

import { IntegrityError, UsageError } from '../errors.js';

/** A `--chunker-params` value that borg would refuse (or that would crash borg's chunker). */
export class InvalidChunkerParams extends UsageError {}

/** The `chunker_params` stored in an archive's metadata have a shape no borg version writes. */
export class MalformedChunkerParams extends IntegrityError {}
