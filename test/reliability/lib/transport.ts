// How a reliability run reaches its repository: directly (`local`), or over a real sshd on
// 127.0.0.1 (`ssh`): borg-ts then talks to `borg-ts serve` and real borg to `borg serve`, each
// started by ssh with the test's own key. Scenarios take a Transport and never care which.
import { SshServer } from '../../helpers/sshd.js';
import { BORG_TS_BIN } from './processes.js';

export type TransportName = 'local' | 'ssh';

export interface Transport {
  readonly name: TransportName;
  /** The location of the repository at the local path `path`, as given on a command line. */
  location(path: string): string;
  /** Options borg-ts needs in front of its command line (e.g. --remote-path). */
  readonly borgTsOptions: readonly string[];
  /** Options real borg needs. */
  readonly borgOptions: readonly string[];
  /** Environment variables both need (e.g. BORG_RSH). */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export const localTransport: Transport = {
  name: 'local',
  location: (path) => path,
  borgTsOptions: [],
  borgOptions: [],
  env: {},
  close: async () => {},
};

/** A transport through a fresh sshd; `close()` stops it. */
export async function sshTransport(): Promise<Transport> {
  const server = await SshServer.start();
  return {
    name: 'ssh',
    location: (path) => server.url(path),
    borgTsOptions: ['--remote-path', `${process.execPath} ${BORG_TS_BIN}`],
    borgOptions: ['--remote-path', 'borg'],
    env: { BORG_RSH: server.client.rsh },
    close: () => server.stop(),
  };
}

export async function openTransport(name: TransportName): Promise<Transport> {
  return name === 'local' ? localTransport : sshTransport();
}
