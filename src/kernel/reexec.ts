import { spawnSync } from 'node:child_process';

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
