// This host's names as borg sees them: the short host name and Python's socket.getfqdn()
// (getaddrinfo with AI_CANONNAME of the host name). `getent ahosts` performs exactly that lookup
// through the system resolver (NSS: files, DNS). Resolved once per process.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';

let cached: { hostname: string; fqdn: string } | undefined;

/**
 * What NSS answers from /etc/hosts, read directly: spawning getent costs every command 10-50 ms.
 * Only when nsswitch.conf consults `files` first; the canonical name is the first name of the first
 * line (with a valid address) that lists the host. undefined: ask the resolver.
 */
function canonicalFromHostsFile(name: string): string | undefined {
  try {
    const order = /^\s*hosts\s*:\s*(\S+)/m.exec(readFileSync('/etc/nsswitch.conf', 'utf8'));
    if (order?.[1] !== 'files') return undefined;
    const wanted = name.toLowerCase();
    for (const line of readFileSync('/etc/hosts', 'utf8').split('\n')) {
      const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
      if (address === undefined || names.length === 0 || isIP(address) === 0) continue;
      if (names.some((n) => n.toLowerCase() === wanted)) return names[0];
    }
  } catch {
    // unreadable: ask the resolver
  }
  return undefined;
}

function canonicalHostName(name: string): string {
  const fromFile = canonicalFromHostsFile(name);
  if (fromFile !== undefined) return fromFile;
  try {
    const r = spawnSync('getent', ['ahosts', name], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    if (r.status === 0) {
      const canonical = r.stdout.split('\n')[0]?.trim().split(/\s+/)[2];
      if (canonical) return canonical;
    }
  } catch {
    // no getent: keep the host name
  }
  return name;
}

export function hostNames(): { hostname: string; fqdn: string } {
  if (cached === undefined) {
    const name = hostname();
    cached = { hostname: name.split('.')[0]!, fqdn: canonicalHostName(name) };
  }
  return cached;
}

export function fqdn(): string {
  return hostNames().fqdn;
}
