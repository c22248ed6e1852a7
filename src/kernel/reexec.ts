import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync, statSync } from 'node:fs';

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
 * Which network namespace this process is in: the name under /run/netns of ours (`--netns NAME`
 * or `ip netns exec NAME`), 'host' (that of PID 1, or when PID 1's cannot be read), or name null:
 * a namespace other than PID 1's with no name under /run/netns.
 */
export function ownNetns(): { host: true } | { host: false; name: string | null } {
  const self = statSync('/proc/self/ns/net');
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns');
  } catch {
    /* no named namespaces */
  }
  const named = names.find((n) => {
    try {
      const st = statSync(`/run/netns/${n}`);
      return st.dev === self.dev && st.ino === self.ino;
    } catch {
      return false;
    }
  });
  if (named !== undefined) return { host: false, name: named };
  // stat() of another process's namespace file may be refused where readlink() is not ("net:[INODE]")
  try {
    if (readlinkSync('/proc/1/ns/net') !== readlinkSync('/proc/self/ns/net')) return { host: false, name: null };
  } catch {
    /* cannot tell: the host */
  }
  return { host: true };
}
