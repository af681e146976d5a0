// Who holds a lock (spec §1.15): (hostid, pid, thread=0), hostid = $BORG_HOST_ID or
// "<fqdn>@<node id>". borg computes the node id with Python's uuid.getnode(), which on Linux comes
// from libuuid: the hardware address of the first interface (in kernel order) that has an IPv4
// address and a non-zero MAC. We pick the same interface from os.networkInterfaces(), which lists
// interfaces in that order, so borg and borg-ts on one host write the same lock names (tested against
// `borg with-lock`). The fqdn is Python's socket.getfqdn(): getaddrinfo(AI_CANONNAME) of the host
// name; `getent ahosts` performs exactly that lookup through the system resolver.
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { fqdn } from '../platform/host-names.js';

export type ProcessId = readonly [host: string, pid: number, thread: number];

let defaultHostId: string | undefined;

/** The 48-bit node id as uuid.getnode() computes it, or a random multicast one like libuuid's fallback. */
export function nodeId(): bigint {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4' || a.mac === '00:00:00:00:00:00') continue;
      return BigInt('0x' + a.mac.replace(/:/g, ''));
    }
  }
  const r = randomBytes(6);
  r[0] = r[0]! | 0x01;
  return BigInt('0x' + r.toString('hex'));
}

export function hostId(): string {
  const fromEnv = process.env['BORG_HOST_ID'];
  if (fromEnv) return fromEnv;
  defaultHostId ??= `${fqdn()}@${nodeId()}`;
  return defaultHostId;
}

export function processId(): ProcessId {
  return [hostId(), process.pid, 0];
}

/**
 * Whether a lock owner may still be running. Only processes on this host (same host id, thread 0)
 * can be checked; anything else is assumed alive.
 */
export function processAlive(host: string, pid: number, thread: number): boolean {
  if (host !== hostId() || thread !== 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
