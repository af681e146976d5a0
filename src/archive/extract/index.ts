// Extracting archives: the library entry points used by the CLI (and later the web UI and mount).
export { codecOpener, readChunks, type ChunkSource, type OpenChunk } from './chunk-reader.js';
export { extractArchive, type ExtractOptions, type ExtractResult } from './extract.js';
export { ItemWarning } from './errors.js';
export { extractionPath } from './safe-path.js';
