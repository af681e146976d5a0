// What the repository commands hand to the library besides their own options: the environment,
// the common --lock-wait/--umask values, borg's security questions asked through ctx.yes
// (answered by BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK / BORG_RELOCATED_REPO_ACCESS_IS_OK), and
// for ssh:// repositories the remote shell, remote path, upload limits and the server's log lines.

import type { Confirm } from '../../cache/security-dir.js';
import type { RemoteOptions } from '../../remote/remote-repository.js';
import type { CommandContext } from '../context.js';

export interface RepositoryAccess {
  env: Record<string, string | undefined>;
  lockWait: number;
  umask: number;
  passphrase: { env: Record<string, string | undefined> };
  confirm: Confirm;
  remote: RemoteOptions;
}

export function repositoryAccess(ctx: CommandContext): RepositoryAccess {
  const env = { ...ctx.env };
  return {
    env,
    lockWait: ctx.common.lockWait,
    umask: ctx.common.umask,
    passphrase: { env },
    confirm: (question, envVar) => ctx.yes({ message: question, envVar, falseMessage: 'Aborting.', invalidMessage: 'Aborting.', retry: false }),
    remote: remoteOptions(ctx),
  };
}

/** The common options that concern `borg serve` connections, and where the server's output goes. */
export function remoteOptions(ctx: CommandContext): RemoteOptions {
  const { common } = ctx;
  const remote: RemoteOptions = {
    logLevel: common.logLevel,
    debugTopics: common.debugTopics,
    umask: common.umask,
    sinks: {
      log: ctx.getLogger('borg.remote'),
      progress: ctx.progress,
      // Lines that are no log records (ssh's messages): as they are, or as a warning with --log-json.
      line: common.logJson ? (text) => ctx.getLogger('root').warning(text) : (text) => ctx.printErr(`${text}\n`),
    },
  };
  if (common.rsh !== undefined) remote.rsh = common.rsh;
  if (common.remotePath !== undefined) remote.remotePath = common.remotePath;
  if (common.uploadRatelimit) remote.uploadRatelimit = common.uploadRatelimit;
  if (common.uploadBuffer) remote.uploadBuffer = common.uploadBuffer;
  return remote;
}
