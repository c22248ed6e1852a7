import { Option, type Command } from 'commander';
import { action, globalOpts } from '../action.js';
import { libvirtDirOption, policyOption, profileOption, proxmoxDirOption } from '../shared-options.js';
import type { AgentCliOptions } from '../../agent/options.js';


export function register(program: Command): void {
  program
    .command('agent')
    .description(
      'Run as a daemon: enforce (or report) the offload policy the moment an interface appears, watch ' +
        'for drift (feature changes by anyone), and export Prometheus metrics and a small HTTP API.',
    )
    .addOption(profileOption())
    .addOption(policyOption('reloaded on SIGHUP'))
    .addOption(libvirtDirOption())
    .addOption(proxmoxDirOption())
    .addOption(new Option('--mode <mode>', 'enforce: change what deviates; report: only report').choices(['enforce', 'report']).default('enforce'))
    .option('--listen <addr:port>', 'HTTP address for /metrics and /api (loopback unless --allow-remote)', '127.0.0.1:9469')
    .option('--allow-remote', 'allow a non-loopback --listen address (requires --token-file)')
    .option('--token-file <file>', 'bearer token for POST /api/reconcile and /api/mode (file mode 0600)')
    .option('--state-dir <dir>', 'where the change journal is kept', process.env.STATE_DIRECTORY ?? '/var/lib/offloadctl')
    .addOption(new Option('--log-level <level>', 'JSON log lines on stderr from this level').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .option('--window-ms <ms>', 'coalesce events arriving within this many ms into one batch (0: those of one socket read)', '0')
    .option('--resync-interval <seconds>', 'full dump and reconcile this often as a safety net (0: never)', '600')
    .option('--install-unit', 'write the systemd unit for these options and exit')
    .option('--root <dir>', 'with --install-unit: install under this root instead of /', '/')
    .option('--exec-path <path>', 'with --install-unit: the offloadctl executable for ExecStart (default: this one)')
    .addOption(
      new Option('--scheduling <class>', 'with --install-unit: realtime runs the agent SCHED_FIFO priority 1 (see README, agent performance); normal leaves it in the default class')
        .choices(['realtime', 'normal'])
        .default('realtime'),
    )
    // internal: the agent's netlink socket process (see src/kernel/monitor/child.ts)
    .addOption(new Option('--monitor-child').hideHelp())
    .addHelpText(
      'after',
      `
HTTP: GET /metrics (Prometheus), GET /api/state, GET /api/events[?since=SEQ&limit=N], GET /healthz;
POST /api/reconcile and POST /api/mode {"mode":"report"} need "Authorization: Bearer TOKEN" (401 otherwise).
Signals: SIGHUP reloads the policy (a bad policy keeps the old one); SIGTERM/SIGINT exit cleanly.
Logs: one JSON object per line on stderr, one line per action.

Examples:
  offloadctl agent                                     # enforce tso-gso-off, metrics on 127.0.0.1:9469
  offloadctl agent --mode report --policy /etc/offloadctl/policy.yaml
  offloadctl agent --listen 0.0.0.0:9469 --allow-remote --token-file /etc/offloadctl/agent.token
  offloadctl agent --install-unit --profile tso-gso-off --root /tmp/root   # writes the systemd unit
  chrt -f 1 offloadctl agent                           # by hand, scheduled as the unit runs it
  offloadctl --netns lab agent --listen 127.0.0.1:9470 --state-dir /tmp/agent
  curl -s localhost:9469/api/state | jq .counts
  curl -s -XPOST -H "Authorization: Bearer $(cat /etc/offloadctl/agent.token)" localhost:9469/api/reconcile

Exit codes: 0 stopped by SIGTERM/SIGINT (or unit written), 2 bad usage, policy, address or token file,
3 system error (no permission, kernel support, address in use, monitor failure).`,
    )
    .action(
      action(async (opts: AgentCliOptions, cmd: Command) => {
        if (opts.monitorChild) {
          const { runMonitorChild } = await import('../../kernel/monitor/child.js');
          runMonitorChild();
          return new Promise<number>(() => {}); // lives until the agent disconnects
        }
        const g = globalOpts(cmd);
        const { runAgentCommand } = await import('../../agent/command.js');
        return runAgentCommand(g, opts);
      }),
    );
}
