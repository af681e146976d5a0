// `-o OPTIONS` of borg mount: borg's own options (versions, allow_damaged_files,
// ignore_permissions, uid=, gid=, umask=) are taken out, the rest are FUSE mount options. As with
// borg, the file system is always read-only and checks permissions in the kernel
// (default_permissions) unless ignore_permissions is given.
import { UsageError } from '../errors.js';

export interface MountOptions {
  versions: boolean;
  allowDamagedFiles: boolean;
  /** The kernel checks permissions against the reported modes and owners (off with ignore_permissions). */
  defaultPermissions: boolean;
  /** Owner and group reported for every file instead of the archived ones. */
  uid: number | undefined;
  gid: number | undefined;
  /** Mode bits taken away from every entry. */
  umask: number;
  allowOther: boolean;
  /** Only root and the mounting user may enter (with allow_other in the kernel). */
  allowRoot: boolean;
  fsName: string;
  subtype: string | undefined;
}

type Kind = 'bool' | 'int' | 'octal';

/** borg's pop_option: takes `key` or `key=value` out of `options`; `absent` when not there. */
function pop<T>(options: string[], key: string, kind: Kind, present: T, absent: T): T | boolean | number {
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    if (option === key) {
      options.splice(i, 1);
      return present;
    }
    if (option.startsWith(`${key}=`)) {
      options.splice(i, 1);
      const value = option.slice(key.length + 1);
      if (kind === 'bool') {
        const v = value.toLowerCase();
        if (['y', 'yes', 'true', '1'].includes(v)) return true;
        if (['n', 'no', 'false', '0'].includes(v)) return false;
      } else {
        const m = kind === 'octal' ? /^(?:0o?)?([0-7]+)$/i.exec(value) : /^([+-]?\d+)$/.exec(value);
        if (m !== null) return parseInt(m[1]!, kind === 'octal' ? 8 : 10);
      }
      throw new UsageError(`unsupported value in option: ${option}`);
    }
  }
  return absent;
}

/** Parses the -o value (undefined: none given). */
export function parseMountOptions(text: string | undefined): MountOptions {
  const options = ['fsname=borgfs', 'ro', 'default_permissions', ...(text ? text.split(',') : [])].filter((o) => o !== '');
  const ignorePermissions = pop(options, 'ignore_permissions', 'bool', true, false) as boolean;
  if (ignorePermissions) while (options.includes('default_permissions')) pop(options, 'default_permissions', 'bool', true, false);
  const result: MountOptions = {
    allowDamagedFiles: pop(options, 'allow_damaged_files', 'bool', true, false) as boolean,
    versions: pop(options, 'versions', 'bool', true, false) as boolean,
    uid: pop(options, 'uid', 'int', undefined, undefined) as number | undefined,
    gid: pop(options, 'gid', 'int', undefined, undefined) as number | undefined,
    umask: pop(options, 'umask', 'octal', 0, 0) as number,
    defaultPermissions: false,
    allowOther: false,
    allowRoot: false,
    fsName: 'borgfs',
    subtype: undefined,
  };
  const unknown: string[] = [];
  for (const option of options) {
    const [key, value] = option.includes('=') ? [option.slice(0, option.indexOf('=')), option.slice(option.indexOf('=') + 1)] : [option, undefined];
    if (key === 'ro' && value === undefined) continue;
    else if (key === 'default_permissions' && value === undefined) result.defaultPermissions = true;
    else if (key === 'allow_other' && value === undefined) result.allowOther = true;
    else if (key === 'allow_root' && value === undefined) result.allowRoot = true;
    else if (key === 'fsname' && value !== undefined) result.fsName = value;
    else if (key === 'subtype' && value !== undefined) result.subtype = value;
    else unknown.push(option);
  }
  if (unknown.length > 0) throw new UsageError(`fuse: unknown option(s): \`-o ${unknown.join(',')}'`);
  if (result.allowOther && result.allowRoot) throw new UsageError("fuse: 'allow_other' and 'allow_root' options are mutually exclusive");
  if (/[,\s]/.test(result.fsName) || (result.subtype !== undefined && /[,\s]/.test(result.subtype))) throw new UsageError('fuse: fsname and subtype must not contain commas or blanks');
  return result;
}
