// Archive trees: an archive (or a versions view of many) as a browsable, compact tree. Used by the
// FUSE mount and meant for every other browsing front end.
export { ArchiveTree, NO_ENTRY } from './archive-tree.js';
export { ArchiveTreeBuilder, buildArchiveTree, type AddArchiveOptions, type TreeSelection } from './tree-builder.js';
export { splitExtension, versionedName, VersionsIndex } from './versions.js';
