// This host's names as borg sees them: the short host name and Python's socket.getfqdn()
// (getaddrinfo with AI_CANONNAME of the host name). `getent ahosts` performs exactly that lookup
// through the system resolver (NSS: files, DNS). Resolved once per process.
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';

let cached: { hostname: string; fqdn: string } | undefined;

function canonicalHostName(name: string): string {
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
