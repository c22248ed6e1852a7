import { Option, type Command } from 'commander';
import { action, globalOpts } from '../action.js';
import { libvirtDirOption, policyOption, profileOption, proxmoxDirOption } from '../shared-options.js';
import type { AgentCliOptions } from '../../agent/options.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(program: Command): void {
  program
    .command('agent')
    .description(
      'Run as a daemon: enforce (or report) the offload policy the moment an interface appears, watch ' +
        'for drift (feature changes by anyone), and export Prometheus metrics and a small HTTP API. ' +
        'On Open vSwitch hosts it watches OVSDB ($OVS_RUNDIR/db.sock) so ports added to an OVS bridge get their bridge, role and VM.',
    )
    .addOption(profileOption())
    .addOption(
      policyOption(
        'a regular file of at most 1 MiB; reloaded on SIGHUP, parsed in a child process while enforcement goes on',
      ),
    )
    .addOption(libvirtDirOption())
    .addOption(proxmoxDirOption())
    .addOption(
      new Option('--mode <mode>', 'enforce: change what deviates; report: only report')
        .choices(['enforce', 'report'])
        .default('enforce'),
    )
    .option(
      '--listen <addr:port>',
      'HTTP address for /metrics and /api (loopback unless --allow-remote)',
      '127.0.0.1:9469',
    )
    .option('--allow-remote', 'allow a non-loopback --listen address (requires --token-file)')
    .option('--token-file <file>', 'bearer token for POST /api/reconcile and /api/mode (file mode 0600)')
    .option(
      '--state-dir <dir>',
      'where the change journal is kept (when it cannot be written, e.g. a full disk, enforcement goes on and /healthz says degraded)',
      process.env.STATE_DIRECTORY ?? '/var/lib/offloadctl',
    )
    .addOption(
      new Option('--log-level <level>', 'JSON log lines on stderr from this level')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('info'),
    )
    .option(
      '--window-ms <ms>',
      'coalesce events arriving within this many ms into one batch (0: those of one socket read)',
      '0',
    )
    .option('--resync-interval <seconds>', 'full dump and reconcile this often as a safety net (0: never)', '600')
    .option(
      '--bench-dir <dir>',
      'the page shows the latest `offloadctl bench --out` results found here (results.json and its SVG charts; DIR or its newest subdirectory)',
    )
    .option(
      '--record-interval <dur>',
      "sample every interface's counters and the host CPU this often for `offloadctl effect --agent` (0: do not record)",
      '5s',
    )
    .option('--record-retention <dur>', 'how much of the recording to keep in memory (ring)', '1h')
    .option('--record-top <n>', 'per-interface packet-size gauges for this many of the busiest interfaces', '20')
    .option(
      '--install-unit',
      'write the systemd unit for these options and exit; with the global --netns NS: offloadctl-agent-netns-NS.service, which joins NS (NetworkNamespacePath=)',
    )
    .option('--root <dir>', 'with --install-unit: install under this root instead of /', '/')
    .option('--exec-path <path>', 'with --install-unit: the offloadctl executable for ExecStart (default: this one)')
    .addOption(
      new Option(
        '--scheduling <class>',
        'with --install-unit: realtime runs the agent SCHED_FIFO priority 1 (offloadctl-agent(8); figures in docs/performance.md); normal leaves it in the default class',
      )
        .choices(['realtime', 'normal'])
        .default('realtime'),
    )
    .addOption(
      new Option(
        '--metrics-features <which>',
        'per-interface series: policy (compliance per managed interface, plus active and compliant series for the features the policy names on it), none (compliance per managed interface only) or all (the full interface × feature matrix, ~70 series per interface)',
      )
        .choices(['none', 'policy', 'all'])
        .default('policy'),
    )
    .option(
      '--metrics-include <glob>',
      'per-interface series only for interfaces matching this glob (repeatable)',
      collect,
      [],
    )
    .option(
      '--metrics-exclude <glob>',
      'no per-interface series for interfaces matching this glob (repeatable; wins over --metrics-include)',
      collect,
      [],
    )
    .option(
      '--metrics-role <role>',
      'per-interface series only for this role: vm-port, bridge, uplink, bond, vlan, veth ... (repeatable)',
      collect,
      [],
    )
    .option('--metrics-exclude-role <role>', 'no per-interface series for this role (repeatable)', collect, [])
    // internal: the agent's netlink socket process (see src/kernel/monitor/child.ts)
    .addOption(new Option('--monitor-child').hideHelp())
    // internal: parse a policy file for a SIGHUP reload off the agent's event loop (agent/policy-reload.ts)
    .addOption(new Option('--parse-policy <file>').hideHelp())
    .addHelpText(
      'after',
      `
HTTP: GET /metrics (Prometheus), GET /api/state, GET /api/events[?since=SEQ&limit=N], GET /healthz;
/api/events returns the oldest N events after SEQ (default 1000) and {next, more, missed}: pass next as
since to page through every event in order; missed counts events the 1000-event ring dropped.
POST /api/reconcile and POST /api/mode {"mode":"report"} need "Authorization: Bearer TOKEN" (401 otherwise).
/healthz: 200 "ok", 200 "degraded: REASON" (e.g. the change journal cannot be written), 503 "unhealthy: REASON".
Limits: bodies over 4096 bytes get 413; 256 connections kept (idle ones closed oldest first);
/metrics rendered at most once a second; denied calls logged at most 10 a minute (docs/hardening.md).
Page: GET / (topology, feature matrix, live events, bench results, doctor; see docs/ui.md) with
GET /api/ui/state, /api/stream (Server-Sent Events), /api/bench, /api/doctor, /api/snapshots;
POST /api/plan, /api/apply {"profile":NAME} and /api/restore {"snapshot":ID} need the token too.
Signals: SIGHUP reloads the policy (a bad policy keeps the old one); SIGTERM/SIGINT exit cleanly.
Logs: one JSON object per line on stderr, one line per action.

Examples:
  offloadctl agent                                     # enforce tso-gso-off, metrics on 127.0.0.1:9469
  offloadctl agent --mode report --policy /etc/offloadctl/policy.yaml
  offloadctl agent --listen 0.0.0.0:9469 --allow-remote --token-file /etc/offloadctl/agent.token
  offloadctl agent --metrics-role vm-port --metrics-role bridge   # fleet: fewer series (docs/fleet.md)
  offloadctl agent --install-unit --profile tso-gso-off --root /tmp/root   # writes the systemd unit
  chrt -f 1 offloadctl agent                           # by hand, scheduled as the unit runs it
  offloadctl --netns lab agent --listen 127.0.0.1:9470 --state-dir /root/olc-agent
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
        if (opts.parsePolicy !== undefined) {
          const { answerParse } = await import('../../agent/policy-reload.js');
          return answerParse(opts.parsePolicy);
        }
        const g = globalOpts(cmd);
        const { runAgentCommand } = await import('../../agent/command.js');
        return runAgentCommand(g, opts);
      }),
    );
}
