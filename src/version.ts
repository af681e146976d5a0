// The borg version whose repository format, protocol and command line borg-ts implements. Tools
// that parse `borg --version` (borgmatic) and the RPC negotiation see this version.
export const BORG_VERSION = '1.2.4';
/** [major, minor, patch, -1] as borg's parse_version gives it for a release. */
export const BORG_VERSION_TUPLE: readonly number[] = [1, 2, 4, -1];
