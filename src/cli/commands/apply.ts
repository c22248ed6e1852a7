import type { Command } from 'commander';
import { action, globalOpts } from '../action.js';
import { addPlanOptions, type PlanCliOptions } from './plan.js';
import { addGuardOptions, type GuardCliOptions } from '../../bench/guard-options.js';
import { DEFAULT_LOCK_TIMEOUT, LOCK_TIMEOUT_HELP, lockWaitNotice, parseLockTimeout } from '../lock-options.js';

interface ApplyCliOptions extends PlanCliOptions, GuardCliOptions {
  dryRun?: boolean;
  yes?: boolean;
  keepGoing?: boolean;
  stateDir: string;
  lockTimeout: string;
  syslog?: boolean;
}

export function register(program: Command): void {
  addGuardOptions(
    addPlanOptions(
      program
        .command('apply')
        .description(
          'Change offloads as a policy says: plan, snapshot the current state durably, change, ' +
            're-read and verify; roll back if anything fails. Undo with `offloadctl restore --last`.',
        ),
    ),
  )
    .option('--dry-run', 'show the plan and stop (same as `offloadctl plan`)')
    .option('-y, --yes', 'do not ask; required when stdin is not a terminal')
    .option('--keep-going', 'when an interface fails, keep the other changes (default: roll back all)')
    .option(
      '--state-dir <dir>',
      'where snapshots and journals are kept (must be owned by the running user and not writable by group or others; created mode 0700)',
      '/var/lib/offloadctl',
    )
    .option('--lock-timeout <seconds>', LOCK_TIMEOUT_HELP, DEFAULT_LOCK_TIMEOUT)
    .option(
      '--syslog',
      'also log a failure (any exit but 0, with its reason) to syslog/the journal as `logger -t offloadctl -p daemon.err` ' +
        'does: for udev rules and VM hooks, whose output nobody reads (the rules `persist` writes pass it)',
    )
    .option('--json', 'the per-interface report as JSON')
    .addHelpText(
      'after',
      `
Before the first change, the requested and active state of every interface the plan touches (and
the bridges above them) is written to STATE_DIR/snapshots/ID.json and fsynced. Each batch of
changes is announced in ID.journal first. If apply is killed at any moment, \`restore --last\` puts
back exactly what it changed. Per interface it reports changed, compliant, failed (with the
kernel's error) or vanished (the interface went away meanwhile, e.g. a VM stopped; not an error).

Examples:
  offloadctl apply --dry-run                     # what would change
  offloadctl apply --yes                         # tso-gso-off on every interface but lo
  offloadctl apply --profile tso-gso-sg-off --interface 'vif*' --yes
  offloadctl apply --policy /etc/offloadctl/policy.yaml --keep-going --yes --json
  offloadctl --netns olab-demo-hv apply --yes --state-dir /root/olc-state
  offloadctl --netns olab-demo-hv apply --yes --guard --guard-lab demo   # undone if TCP drops >10%
  offloadctl apply --yes --guard --guard-server 192.0.2.10 --guard-threshold 5%

Exit codes: 0 applied (or nothing to do), 1 something failed (rolled back unless --keep-going)
or --guard found a regression and restored the snapshot,
2 bad usage, unknown interface, --interface globs matching nothing (without --allow-empty), invalid policy, or not interactive without --yes,
3 system error (permission, state directory not writable or refused, disk full — apply then rolls
back what it changed —, or the lock still held after --lock-timeout).

One apply or restore at a time per state directory: the host is observed only after the lock
(STATE_DIR/lock, a kernel flock released when the holder exits or dies) is taken.`,
    )
    .action(
      action(async (opts: ApplyCliOptions, cmd: Command) => {
        if (!opts.syslog) return runApply(opts, cmd);
        const { logFailure, failureLine } = await import('../failure-log.js');
        const what = `apply${opts.interface.length ? ` --interface ${opts.interface.join(',')}` : ''}`;
        try {
          const code = await runApply(opts, cmd);
          if (code)
            logFailure(`${what}: exit ${code} (interfaces failed or rolled back; run it by hand to see the report)`);
          return code;
        } catch (e) {
          const { isOffloadError } = await import('../../model/errors.js');
          logFailure(`${failureLine(what, e)} (exit ${isOffloadError(e) ? e.exitCode : 3})`);
          throw e;
        }
      }),
    );
}

async function runApply(opts: ApplyCliOptions, cmd: Command): Promise<number> {
  const g = globalOpts(cmd);
  const [{ loadPolicyLazy }, pipeline, { OffloadError }] = await Promise.all([
    import('../../policy/lazy.js'),
    import('../../apply/pipeline.js'),
    import('../../model/errors.js'),
  ]);
  const policy = await loadPolicyLazy({ profile: opts.profile, file: opts.policy });
  await pipeline.checkGlobs(opts.interface);
  // isatty(0), not process.stdin.isTTY: the process.stdin getter builds a stream (~3 ms) that is
  // never read. Imported here: every command evaluates this file to register it, and node:tty
  // (with node:net) costs ~3 ms when stdout is a file.
  const { isatty } = await import('node:tty');
  const interactive = isatty(0);
  if (!opts.dryRun && !opts.yes && !interactive) {
    throw new OffloadError(
      'usage',
      'apply changes the host: pass --yes when stdin is not a terminal (or --dry-run to see the plan)',
    );
  }
  const input = {
    policy,
    interfaces: opts.interface,
    allowEmpty: opts.allowEmpty,
    observe: { libvirtDir: opts.libvirtDir, proxmoxDir: opts.proxmoxDir },
  };
  const json = Boolean(opts.json || g.json);
  const lockTimeout = parseLockTimeout(opts.lockTimeout, OffloadError);
  const [{ withKernel }, { SnapshotStore }] = await Promise.all([
    import('../context.js'),
    import('../../apply/store.js'),
  ]);
  const store = new SnapshotStore(opts.stateDir);
  // The lock comes BEFORE observing: the snapshot must describe the host after any concurrent
  // apply's change, or restoring it would undo that change. Taking it (a flock(1) child, a few ms)
  // overlaps opening the kernel boundary, which observes nothing.
  const locking = opts.dryRun
    ? Promise.resolve(() => {})
    : store.lock({ timeoutSeconds: lockTimeout, onWait: lockWaitNotice(opts.stateDir, lockTimeout) });
  locking.catch(() => {}); // awaited below; only unobserved when opening the kernel failed first
  let unlock: (() => void) | null = null;
  try {
    return await withKernel(g, async (kernel) => {
      unlock = await locking;
      const [{ planText }, out] = await Promise.all([import('./plan.js'), import('../output.js')]);
      let t0 = performance.now();
      let planned = await pipeline.observeAndPlan(kernel, input);
      if (opts.dryRun) {
        if (json) out.printJson({ dryRun: true, plan: planned.plan });
        else process.stdout.write(await planText(planned.plan));
        return 0;
      }
      if (planned.plan.changes.length > 0 && !opts.yes) {
        process.stderr.write(await planText(planned.plan));
        const n = planned.plan.changes.length;
        if (!(await confirm(`Apply these changes to ${n} interface${n === 1 ? '' : 's'}? [y/N] `))) {
          process.stderr.write('offloadctl: nothing changed\n');
          return 1;
        }
        // The host may have moved while we waited: the snapshot must describe the state right
        // before the change, so observe and plan again.
        t0 = performance.now();
        planned = await pipeline.observeAndPlan(kernel, input);
      }
      const observeMs = Math.round((performance.now() - t0) * 10) / 10;
      const { applyPlan } = await import('../../apply/apply.js');
      const doApply = () =>
        applyPlan(kernel, planned.observation, planned.desired, planned.plan, {
          store,
          keepGoing: opts.keepGoing,
          onProgress: testKillHook(),
        });
      // --guard (src/bench/guard-apply.ts): measure, apply, measure, restore if it regressed.
      const guarded = opts.guard
        ? await (await import('../../bench/guard-apply.js')).guardedApply(opts, { apply: doApply, kernel, store })
        : null;
      const report = guarded ? guarded.report : await doApply();
      if (report.timings) report.timings = { observeAndPlan: observeMs, ...report.timings };
      if (json) out.printJson(guarded ? { ...report, guard: guarded.guard } : report);
      else {
        process.stdout.write(await applyText(report, store.stateDir));
        if (guarded) process.stdout.write((await import('../../bench/guard.js')).guardText(guarded.guard));
      }
      if (guarded?.guard.rolledBack) return 1;
      return report.status === 'applied' || report.status === 'nothing-to-do' ? 0 : 1;
    });
  } finally {
    if (unlock) (unlock as () => void)();
    else
      locking.then(
        (u) => u(),
        () => {},
      );
  }
}

/**
 * Test-only: OFFLOADCTL_TEST_KILL_AFTER=N makes apply SIGKILL itself once N interfaces were sent to
 * the kernel (0: right after the snapshot is on disk), to test crash safety with a real SIGKILL.
 */
function testKillHook(): ((done: number) => void) | undefined {
  const v = process.env.OFFLOADCTL_TEST_KILL_AFTER;
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return (done) => {
    if (done >= n) process.kill(process.pid, 'SIGKILL');
  };
}

/** Ask on the terminal (prompt on stderr: stdout carries data). Anything but y/yes is no. */
export async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

async function applyText(r: import('../../apply/types.js').ApplyReport, stateDir: string): Promise<string> {
  const [{ renderTable }, { compactSet }, { undoCommand }] = await Promise.all([
    import('../output.js'),
    import('../../plan/render.js'),
    import('../../apply/undo-hint.js'),
  ]);
  if (r.status === 'nothing-to-do') {
    const n = r.counts.compliant;
    const heldN = r.heldByGuest?.length ?? 0;
    return `policy ${r.policy}: nothing to do (${n} interface${n === 1 ? '' : 's'} already compliant${heldN ? `, ${heldN} with features held by the guest` : ''})\n`;
  }
  const held = new Map((r.heldByGuest ?? []).map((h) => [h.ifname, h.features]));
  const rows = r.results
    .filter((x) => x.status !== 'compliant')
    .map((x) => [
      x.ifname,
      x.status,
      x.set ? compactSet(x.set) : '',
      [x.error, ...(x.warnings ?? [])].filter(Boolean).join('; '),
    ]);
  const heldNote = held.size
    ? `${held.size} interface${held.size === 1 ? '' : 's'} with features held by the guest (${[...held].map(([i, f]) => `${i}: ${f.join(',')}`).join('; ')}):\n` +
      "  a VM's tap keeps them off until its guest negotiates them (QEMU, TUNSETOFFLOAD); not a failure, audit does not count them\n"
    : '';
  let text = rows.length ? renderTable(['INTERFACE', 'RESULT', 'SET', 'DETAIL'], rows) + '\n' : '';
  const c = r.counts;
  text += `policy ${r.policy}: ${c.changed} changed, ${c.compliant} compliant, ${c.failed} failed, ${c.vanished} vanished\n`;
  text += heldNote;
  if (r.rollback) {
    const rc = r.rollback.counts;
    text += `something failed: rolled back (${rc.restored} restored, ${rc.unchanged} untouched, ${rc.vanished} vanished, ${rc.failed} failed)\n`;
  }
  const undo = undoCommand({ id: r.snapshot!, netns: process.env.OFFLOADCTL_NETNS ?? null }, stateDir);
  text += `snapshot ${r.snapshot}${r.status === 'rolled-back' ? '' : ` (undo: ${undo})`}\n`;
  return text;
}
