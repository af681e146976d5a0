// What the repository commands hand to the library besides their own options: the environment,
// the common --lock-wait/--umask values, and borg's security questions asked through ctx.yes
// (answered by BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK / BORG_RELOCATED_REPO_ACCESS_IS_OK).

import type { Confirm } from '../../cache/security-dir.js';
import type { CommandContext } from '../context.js';

export interface RepositoryAccess {
  env: Record<string, string | undefined>;
  lockWait: number;
  umask: number;
  passphrase: { env: Record<string, string | undefined> };
  confirm: Confirm;
}

export function repositoryAccess(ctx: CommandContext): RepositoryAccess {
  const env = { ...ctx.env };
  return {
    env,
    lockWait: ctx.common.lockWait,
    umask: ctx.common.umask,
    passphrase: { env },
    confirm: (question, envVar) => ctx.yes({ message: question, envVar, falseMessage: 'Aborting.', invalidMessage: 'Aborting.', retry: false }),
  };
}
