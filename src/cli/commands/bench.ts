import { Option, type Command } from 'commander';
import { action, globalOpts } from '../action.js';
import { collect } from '../shared-options.js';
import type { BenchCliOptions } from '../../bench/options.js';

/** `offloadctl bench`: measure what offload profiles cost or gain, side by side, then restore. */

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${name} must be a whole number`);
  return n;
};

export function register(program: Command): void {
  program
    .command('bench')
    .description(
      'Measure what offload profiles cost or gain. Each profile is applied in turn (A B A B ...) ' +
        'through the apply pipeline; iperf3 and a request/response test run on each; medians are ' +
        'compared with bootstrap confidence intervals; the original state is restored at the end ' +
        '(also on Ctrl-C or failure).',
    )
    .addOption(
      new Option('--lab <lab>', 'traffic between namespaces of a netns lab, or into a QEMU guest').choices([
        'netns',
        'vm',
      ]),
    )
    .option('--lab-name <name>', 'use this existing lab (offloadctl lab up) instead of a temporary one')
    .option('--server <host>', "an iperf3 server run elsewhere; only this host's interfaces are changed")
    .option('--port <n>', 'iperf3 port of --server', int('--port'))
    .option(
      '--rr-port <n>',
      'TCP echo server port on --server for the rr test (e.g. socat/ncat echo)',
      int('--rr-port'),
    )
    .option(
      '--profiles <list>',
      'profiles or policy files to compare, first is the baseline',
      'offloads-on,tso-gso-off',
    )
    .option('--tests <list>', 'tcp, tcp-reverse, tcp-multi, udp, rr or all', 'tcp,tcp-reverse,tcp-multi,udp,rr')
    .option('--duration <s>', 'seconds per test run', int('--duration'), 5)
    .option('--repeat <n>', 'rounds: every profile runs every test once per round', int('--repeat'), 3)
    .option('--udp-rate <rate>', 'UDP target rate (iperf3 -b)', '1G')
    .option('--streams <n>', 'parallel streams of tcp-multi', int('--streams'), 4)
    .addOption(
      new Option('--accel <accel>', 'vm lab: QEMU accelerator (auto probes KVM, falls back to TCG)')
        .choices(['auto', 'kvm', 'tcg'])
        .default('auto'),
    )
    .option('--interface <glob>', 'limit the profiles to these interfaces (repeatable)', collect)
    .option(
      '--state-dir <dir>',
      'where apply keeps snapshots (labs: a temporary folder; --server: /var/lib/offloadctl)',
    )
    .option('--seed <n>', 'seed of the bootstrap intervals', int('--seed'), 1)
    .option('--out <dir>', 'write results.json, report.txt and SVG charts to DIR')
    .option('--no-progress', 'no progress line on the terminal')
    .option('--json', 'print the results as JSON')
    .addHelpText(
      'after',
      `
Examples:
  offloadctl bench                                   # temporary netns lab, offloads-on vs tso-gso-off
  offloadctl bench --duration 2 --repeat 2 --tests tcp,rr
  offloadctl bench --lab vm --tests tcp,tcp-reverse  # a virtio guest behind a tap on br0 (QEMU)
  offloadctl bench --lab-name demo --lab netns       # on a lab you brought up (offloadctl lab up --name demo)
  offloadctl bench --server 192.0.2.10 --profiles offloads-on,tso-gso-off,./my-policy.yaml
  offloadctl bench --out /tmp/bench --json > results.json

Exit codes: 0 measured (and restored), 2 bad usage (unknown profile or test), 3 system error
(no root, lab or QEMU failure, interrupted, or the restore failed).`,
    )
    .action(
      action(async (opts: BenchCliOptions, cmd: Command) => {
        const { benchCommand } = await import('../../bench/command.js');
        return benchCommand(opts, globalOpts(cmd));
      }),
    );
}
