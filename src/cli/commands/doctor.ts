import { Option, type Command } from 'commander';
import { action, globalOpts } from '../action.js';
import { collect } from '../shared-options.js';
import type { DoctorCommandOptions } from '../../doctor/command.js';

export function register(program: Command): void {
  program
    .command('doctor')
    .description(
      'Look for evidence of offload trouble on this host and say which feature it points to:\n' +
        'kernel log signatures (NIC hangs, bad offload warnings, checksum faults, LRO while forwarding),\n' +
        'error counters as rates, and topology checks (bridge MTUs, LRO on bridge ports, offloads along\n' +
        'VM paths, taps whose guest negotiated offloads away, known driver problems, checksum offload on\n' +
        'VXLAN/Geneve tunnel devices, VM MTU along Open vSwitch tunnel paths). Read-only.',
    )
    .option(
      '--kernel-log <file>',
      'read kernel log lines from FILE (dmesg, journalctl, /dev/kmsg formats) or - for stdin; implies --checks logs unless --checks is given',
    )
    .option('--since <duration>', 'only kernel log lines from the last DURATION (90s, 30m, 1h, 2d)')
    .option('--interval <seconds>', 'seconds between the two counter samples (0: do not sample)', '1')
    .option('--checks <list>', 'comma list of logs, counters, topology (default: all)')
    .option('--interface <glob>', 'only these interfaces (repeatable; globs like vnet*)', collect)
    .option(
      '--signatures <file>',
      'extra kernel log signatures (JSON, same shape as the built-in file; repeatable)',
      collect,
    )
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe')
        .choices(['critical', 'error', 'warning', 'info'])
        .default('warning'),
    )
    .option(
      '--state-dir <dir>',
      'findings about offloads cite what recordings in DIR/effect/ measured on this host (offloadctl effect record)',
      '/var/lib/offloadctl',
    )
    .option('--agent <url>', "cite what a running agent's recorder measured instead (e.g. http://127.0.0.1:9469)")
    .option('-v, --verbose', 'also list the checks that passed, with the reason')
    .option('--json', 'the report as JSON (findings, passed checks, log and counter summary)')
    .addHelpText(
      'after',
      `
Findings are ranked by severity (critical, error, warning, info). Each has the evidence lines, the
features implicated, the commands that would change them (offloadctl apply ... and the plain
ethtool -K) and, where the effect is uncertain, how to measure it (offloadctl bench).

Sources: the live kernel log is /dev/kmsg (root), else journalctl -k (this boot). Counters are
/sys/class/net/IF/statistics/*, queues/tx-N/tx_timeout and ethtool -S (real NICs), sampled twice.

Examples:
  offloadctl doctor                                  # everything, on this host
  offloadctl doctor --since 1h --interval 5          # recent log lines, 5 s counter rates
  offloadctl doctor --kernel-log /var/log/kern.log   # offline: a saved log only
  journalctl -k -b -1 | offloadctl doctor --kernel-log -   # the previous boot
  ssh guest dmesg | offloadctl doctor --kernel-log - --json
  offloadctl doctor --checks topology -v             # topology only, with passed checks
  offloadctl --netns olab-demo-hv doctor --checks topology,counters

Exit codes: 0 no finding at or above --fail-on (default warning), 1 findings, 2 bad usage or an
unreadable --kernel-log file, 3 system error (no kernel log source, permission).`,
    )
    .action(
      action(async (opts: DoctorCommandOptions, cmd: Command) => {
        const g = globalOpts(cmd);
        const { doctorCommand } = await import('../../doctor/command.js');
        return doctorCommand(opts, g);
      }),
    );
}
