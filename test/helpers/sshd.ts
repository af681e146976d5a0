// A real OpenSSH server on 127.0.0.1 for the remote tests: its own host key, its own client keys and
// authorized_keys (optionally with `command="..."` restrictions), started on a free port and stopped
// by the test. Nothing outside its temp directory is touched.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';

/** A client identity the server accepts. */
export interface SshClientKey {
  /** Private key file (0600). */
  readonly keyPath: string;
  /** A BORG_RSH value that logs in with this key only, without host-key prompts. */
  readonly rsh: string;
}

export interface AuthorizeOptions {
  /** Forced command for this key (authorized_keys `command="..."`). */
  command?: string;
  /** More authorized_keys options, e.g. 'restrict'. */
  options?: string[];
}

export class SshServer {
  readonly user = userInfo().username;
  readonly host = '127.0.0.1';
  #keyCount = 0;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly child: ChildProcess,
    /** The key authorized without restrictions. */
    readonly client: SshClientKey,
  ) {}

  /** Starts sshd; `authorize` adds more keys later. */
  static async start(): Promise<SshServer> {
    const dir = mkdtempSync(join(tmpdir(), 'borg-ts-sshd-'));
    // sshd's privilege separation directory must exist.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    keygen(join(dir, 'host_key'));
    writeFileSync(join(dir, 'authorized_keys'), '', { mode: 0o600 });
    const port = await freePort();
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host_key')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        'StrictModes no',
        'UsePAM no',
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'PrintMotd no',
        'MaxStartups 100',
        'MaxSessions 100',
        // The remote side must find the build's node and borg on PATH like a login would.
        `SetEnv PATH=${process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin'}`,
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    const child = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    try {
      await waitForPort(port, child, () => stderr);
    } catch (e) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    const server = new SshServer(dir, port, child, { keyPath: '', rsh: '' });
    const client = server.authorize();
    (server as { client: SshClientKey }).client = client;
    return server;
  }

  /** A new client key, added to authorized_keys with the given restrictions. */
  authorize(options: AuthorizeOptions = {}): SshClientKey {
    const keyPath = join(this.dir, `client_key_${this.#keyCount++}`);
    const publicKey = keygen(keyPath);
    const parts = [...(options.options ?? [])];
    if (options.command !== undefined) parts.unshift(`command="${options.command.replace(/"/g, '\\"')}"`);
    appendFileSync(join(this.dir, 'authorized_keys'), `${parts.length ? parts.join(',') + ' ' : ''}${publicKey}\n`);
    return { keyPath, rsh: this.rshFor(keyPath) };
  }

  /** `ssh://user@127.0.0.1:port/<absolutePath>` */
  url(absolutePath: string): string {
    return `ssh://${this.user}@${this.host}:${this.port}${absolutePath}`;
  }

  /** The ssh command line (as BORG_RSH) for a key. */
  rshFor(keyPath: string): string {
    return [
      'ssh', '-F', '/dev/null', '-i', keyPath, '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no',
      '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR',
    ].join(' ');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function keygen(path: string): string {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'borg-ts-test', '-f', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return spawnSync('cat', [`${path}.pub`], { encoding: 'utf8' }).stdout.trim();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sshd did not listen on port ${port}: ${stderr()}`);
}
