import type { Command } from 'commander';
import { action, globalOpts } from '../action.js';

interface EffectCliOptions {
  change?: string;
  at?: string;
  window: string;
  settle: string;
  interface: string[];
  recording?: string;
  agent?: string;
  stateDir: string;
  json?: boolean;
}

interface RecordCliOptions {
  duration: string;
  interval: string;
  output?: string;
  marks: boolean;
  /** effect's own options (commander gives them to the parent, wherever they are written). */
  stateDir: string;
  json?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(program: Command): void {
  const effect = program
    .command('effect')
    .description(
      'Measure what an offload change did on this host, passively: compare equal windows of recorded ' +
        'counters before and after it (bytes/s, packets/s, average packet size, drops, host softirq + system CPU per GB moved).',
    )
    .option(
      '--change <id>',
      'the change: an apply\'s snapshot id, or "last" (its journal gives the span and interfaces)',
    )
    .option(
      '--at <time>',
      'the change: the one marked nearest this time (ISO 8601 or epoch seconds), else this instant',
    )
    .option('--window <dur>', 'length of each window, before and after (e.g. 30s, 5m)', '30s')
    .option('--settle <dur>', 'skip this long after the change before the after-window starts', '2s')
    .option(
      '--interface <glob>',
      'report and count only these interfaces (repeatable; default every one but lo)',
      collect,
      [],
    )
    .option('--recording <file>', "a recording written by `effect record` (default: the state directory's)")
    .option('--agent <url>', 'read the recording of a running agent (e.g. http://127.0.0.1:9477)')
    .option('--state-dir <dir>', 'snapshots, and recordings under DIR/effect/', '/var/lib/offloadctl')
    .option('--json', 'the report as JSON')
    .addHelpText(
      'after',
      `
Without --change or --at, the last change the recording marked is compared.
Verdicts: changed (with the evidence: "average TX packet size on vnet3 fell from 59 kB to 1.5 kB;
host softirq + system CPU per GB moved rose 2.4x (95% CI 2.1–2.8)"), no-difference,
no-traffic, too-different (traffic stopped or changed tenfold), insufficient-data.
CPU is the whole host's (/proc/stat); bytes moved = (Σ rx + Σ tx) / 2 over the selected interfaces.

Examples:
  offloadctl effect record --duration 10m &      # then apply, wait, and:
  offloadctl effect --change last
  offloadctl effect --at 2026-12-06T15:04:05Z --window 1m --interface 'vnet*' --json
  offloadctl effect --agent http://127.0.0.1:9477 --change 20261206-150405-123-ab12

Exit codes: 0 reported (whatever the verdict), 2 bad usage or no recording covers the change, 3 system error.`,
    )
    .action(
      action(async (opts: EffectCliOptions, cmd: Command) => {
        const g = globalOpts(cmd);
        const [{ runEffect }, { parseDuration }, out, render] = await Promise.all([
          import('../../effect/effect.js'),
          import('../../model/duration.js'),
          import('../output.js'),
          import('../../effect/render.js'),
        ]);
        const report = await runEffect({
          change: opts.change,
          at: opts.at,
          windowMs: parseDuration(opts.window) * 1000,
          settleMs: parseDuration(opts.settle) * 1000,
          interfaces: opts.interface,
          source: { recording: opts.recording, agent: opts.agent, stateDir: opts.stateDir },
        });
        if (opts.json || g.json) out.printJson(report);
        else process.stdout.write(render.renderEffect(report, out.renderTable));
        return 0;
      }),
    );

  effect
    .command('record')
    .description(
      "Record every interface's counters and the host's CPU split for a while, marking each offload change the kernel announces.",
    )
    .option('--duration <dur>', 'how long (e.g. 90s, 10m, 1h); SIGINT/SIGTERM end it early, the file complete', '60s')
    .option('--interval <dur>', 'sampling interval', '1s')
    .option(
      '--output <file>',
      "where (default STATE_DIR/effect/TIME.jsonl, where `effect` looks; --state-dir is effect's)",
    )
    .option('--no-marks', "do not watch the kernel's ethtool monitor for offload changes")
    .addHelpText(
      'after',
      `
Reads /proc/net/dev (every interface of the namespace, one read), /proc/stat and /proc/softirqs
once per interval; nothing is sent on any interface. Memory stays constant; the file grows by
~30 bytes per interface whose counters moved, per sample.

Examples:
  offloadctl effect record --duration 10m
  offloadctl --netns olab-demo-hv effect record --duration 2m --interval 500ms --output /root/rec.jsonl`,
    )
    .action(
      action(async (_opts: RecordCliOptions, cmd: Command) => {
        const g = globalOpts(cmd);
        const opts = cmd.optsWithGlobals() as RecordCliOptions;
        const [{ record }, { parseDuration }, out] = await Promise.all([
          import('../../effect/record.js'),
          import('../../model/duration.js'),
          import('../output.js'),
        ]);
        const intervalMs = parseDuration(opts.interval) * 1000;
        if (intervalMs < 100)
          throw new (await import('../../model/errors.js')).OffloadError('usage', '--interval must be at least 100ms');
        const res = await record({
          durationMs: parseDuration(opts.duration) * 1000,
          intervalMs,
          output: opts.output,
          stateDir: opts.stateDir,
          netns: g.netns ?? process.env.OFFLOADCTL_NETNS ?? null,
          watchChanges: opts.marks,
          log: (l) => process.stderr.write(l + '\n'),
        });
        if (opts.json || g.json) out.printJson(res);
        else
          process.stdout.write(
            `recorded ${res.samples} samples and ${res.marks} change marks to ${res.path}${res.interrupted ? ' (ended early)' : ''}\n`,
          );
        return 0;
      }),
    );
}
