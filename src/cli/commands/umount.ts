// `borg-ts umount MOUNTPOINT`: unmounts a file system made by `borg-ts mount` (or `borg mount`);
// the serving process then releases the repository lock and ends.
import { FuseMountError, unmountFuse } from '../../platform/fuse-mount.js';
import { defineCommand } from '../command.js';

type UmountArgs = { mountpoint: string };

export const umountCommand = defineCommand<UmountArgs>({
  name: 'umount',
  summary: 'umount repository',
  description: 'un-mount the FUSE filesystem',
  epilog: `Unmounts MOUNTPOINT. As root this is umount2(2); other users go through fusermount3 -u.
A busy file system (a shell inside it, an open file) is not unmounted: leave it first.
The process serving the mount then ends and releases the repository lock.`,
  arguments: [{ name: 'mountpoint', metavar: 'MOUNTPOINT', description: 'mountpoint of the filesystem to umount' }],
  handler(ctx, args) {
    try {
      unmountFuse(args.mountpoint);
    } catch (e) {
      if (!(e instanceof FuseMountError)) throw e;
      // As borg, which passes on fusermount's message and exit code 1.
      ctx.logger.error(e.message);
      return 1;
    }
    return 0;
  },
});
