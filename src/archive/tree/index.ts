// Archive trees: an archive (or a versions view of many) as a browsable, compact tree, kept
// between runs in a cache file. Used by the FUSE mount and the web UI.
export { ArchiveTree, NO_ENTRY } from './archive-tree.js';
export { ArchiveTreeBuilder, buildArchiveTree, type AddArchiveOptions, type TreeSelection } from './tree-builder.js';
export { repositoryItemSource, type ItemSource } from './item-store.js';
export { ArchiveTreeCache, isWholeArchive, type ObtainOptions } from './tree-cache.js';
export { decodeArchiveTree, encodeArchiveTree, TreeFileError, TREE_FILE_VERSION } from './tree-file.js';
export { splitExtension, versionedName, VersionsIndex } from './versions.js';
