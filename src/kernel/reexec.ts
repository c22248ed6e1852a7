import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';

/**
 * `offloadctl --netns NAME cmd ...` runs the same command inside that namespace: the process
 * re-executes itself under `ip netns exec NAME` (which also remounts /sys for that namespace),
 * because a netlink socket talks to the namespace of the process that opens it.
 * Returns the child's exit code.
 */
export function reexecInNetns(ns: string, argvWithoutNetns: readonly string[]): number {
  const r = spawnSync(
    'ip',
    ['netns', 'exec', ns, process.execPath, ...process.execArgv, ...argvWithoutNetns],
    { stdio: 'inherit', env: { ...process.env, OFFLOADCTL_NETNS: ns } },
  );
  if (r.error) throw r.error;
  return r.status ?? 1;
}

/**
 * Is this process in the named namespace (/run/netns/NAME, as `ip netns` makes it)? Compared by
 * the namespace's identity (device and inode of the nsfs file, as /proc/self/ns/net shows ours),
 * not by an environment variable: an inherited OFFLOADCTL_NETNS must not make `--netns` a no-op.
 */
export function inNetns(ns: string): boolean {
  if (ns.includes('/')) return false;
  try {
    const self = statSync('/proc/self/ns/net');
    const named = statSync(`/run/netns/${ns}`);
    return self.dev === named.dev && self.ino === named.ino;
  } catch {
    return false;
  }
}

/**
 * Which network namespace this process is in: 'host' (the one of PID 1), the name under /run/netns
 * of ours (`--netns NAME` or `ip netns exec NAME`), or null for a namespace with no name there.
 */
export function ownNetns(): { host: true } | { host: false; name: string | null } {
  const self = statSync('/proc/self/ns/net');
  const same = (p: string) => {
    try {
      const st = statSync(p);
      return st.dev === self.dev && st.ino === self.ino;
    } catch {
      return false;
    }
  };
  if (same('/proc/1/ns/net')) return { host: true };
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns');
  } catch {
    /* no named namespaces */
  }
  return { host: false, name: names.find((n) => same(`/run/netns/${n}`)) ?? null };
}
