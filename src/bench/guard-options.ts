import type { Command } from 'commander';

/**
 * The `apply --guard` options, kept apart from the guard itself so `apply` loads no bench code
 * unless --guard is given.
 */
export interface GuardCliOptions {
  guard?: boolean;
  guardThreshold: string;
  guardMetric: string;
  guardServer?: string;
  guardLab?: string;
  guardDuration: number;
  guardRepeat: number;
}

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number, at least 1`);
  return n;
};

export function addGuardOptions(cmd: Command): Command {
  return cmd
    .option('--guard', 'benchmark before and after; restore the snapshot automatically if the metric regressed')
    .option('--guard-threshold <pct>', 'allowed worsening of the guard metric, e.g. 10% (or 0.1)', '10%')
    .option(
      '--guard-metric <test>',
      'test that decides: tcp, tcp-reverse, tcp-multi, udp (throughput) or rr (p50 latency)',
      'tcp',
    )
    .option('--guard-server <host[:port]>', 'measure against this iperf3 server (from the namespace apply runs in)')
    .option('--guard-lab <name>', 'measure between the guest namespaces of this lab (offloadctl lab up --name NAME)')
    .option('--guard-duration <s>', 'seconds per guard run', int('--guard-duration'), 3)
    .option('--guard-repeat <n>', 'guard runs before and after', int('--guard-repeat'), 3);
}
