// The borg version whose repository format, protocol and command line borg-ts implements. Tools
// that parse `borg --version` (borgmatic) and the RPC negotiation see this version.
export const BORG_VERSION = '1.2.4';
/** [major, minor, patch, -1] as borg's parse_version gives it for a release. */
export const BORG_VERSION_TUPLE: readonly number[] = [1, 2, 4, -1];

/** Repository feature flags (manifest config.feature_flags) this implementation understands: none
 * are defined for borg 1.x yet, so any mandatory feature makes an operation refuse. */
export const SUPPORTED_REPOSITORY_FEATURES: ReadonlySet<string> = new Set<string>();
