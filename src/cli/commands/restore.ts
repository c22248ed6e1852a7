import type { Command } from 'commander';
import { action, globalOpts } from '../action.js';
import { DEFAULT_LOCK_TIMEOUT, LOCK_TIMEOUT_HELP, lockWaitNotice, parseLockTimeout } from '../lock-options.js';

interface RestoreCliOptions {
  last?: boolean;
  agent?: boolean;
  yes?: boolean;
  stateDir: string;
  lockTimeout: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('restore')
    .description(
      'Return every interface in a snapshot (taken by apply) to its recorded requested state and ' +
        'verify requested and active bits. Works after apply was killed at any moment. With --agent: ' +
        'every interface the agent changed, to its state before the agent.',
    )
    .argument('[snapshot-id]', 'the snapshot to restore (see `offloadctl snapshots`)')
    .option('--last', 'the newest snapshot apply took in this network namespace')
    .option(
      '--agent',
      'every interface the agent changed in this network namespace (still present, not restored since), to what it was before the agent first changed it; stop the agent first, or it enforces again',
    )
    .option('-y, --yes', 'do not ask; required when stdin is not a terminal')
    .option(
      '--state-dir <dir>',
      'where snapshots and journals are kept (must be owned by the running user and not writable by group or others)',
      '/var/lib/offloadctl',
    )
    .option('--lock-timeout <seconds>', LOCK_TIMEOUT_HELP, DEFAULT_LOCK_TIMEOUT)
    .option('--json', 'the per-interface report as JSON')
    .addHelpText(
      'after',
      `
Restore compares each recorded interface's current requested bits with the snapshot and sets back
exactly those that differ (ports before their bridges), so it is correct whether apply finished,
failed or was killed half-way, and running it twice is harmless. Interfaces that no longer exist
are reported "vanished"; a recorded device that now has another name (renamed, or two names
swapped) is found by its ifindex, restored, and reported "renamed"; a name now held by a different
device (a VM restarted) is left alone. Neither is fatal. A corrupt snapshot file is refused with
the reason (\`--last\` skips it and says so).

Examples:
  offloadctl restore --last --yes
  systemctl stop offloadctl-agent && offloadctl restore --agent --yes
  offloadctl restore 20261125-125549-123-ab12
  offloadctl --netns olab-demo-hv restore --last --yes --state-dir /root/olc-state --json

Exit codes: 0 restored and verified, 1 an interface failed or its active state differs from the
snapshot, 2 bad usage, unknown or corrupt snapshot, snapshot of another namespace, or not
interactive without --yes, 3 system error (state directory refused, lock still held after
--lock-timeout, or restored but the disk is too full to record it).`,
    )
    .action(
      action(async (id: string | undefined, opts: RestoreCliOptions, cmd: Command) => {
        const g = globalOpts(cmd);
        const [{ OffloadError }, { SnapshotStore, currentNetns, sameNetns }] = await Promise.all([
          import('../../model/errors.js'),
          import('../../apply/store.js'),
        ]);
        if ([id !== undefined, !!opts.last, !!opts.agent].filter(Boolean).length !== 1) {
          throw new OffloadError('usage', 'give one of a snapshot id, --last or --agent (see `offloadctl snapshots`)');
        }
        // isatty(0), not process.stdin.isTTY: the process.stdin getter builds a stream (~3 ms) that is
        // never read. Imported here: every command evaluates this file to register it, and node:tty
        // (with node:net) costs ~3 ms when stdout is a file.
        const { isatty } = await import('node:tty');
        const interactive = isatty(0);
        if (!opts.yes && !interactive) {
          throw new OffloadError('usage', 'restore changes the host: pass --yes when stdin is not a terminal');
        }
        const lockTimeout = parseLockTimeout(opts.lockTimeout, OffloadError);
        const store = new SnapshotStore(opts.stateDir);
        const here = currentNetns();
        const netns = here.name;
        // Locked before anything is read: an apply running now finishes first. (No state directory:
        // no snapshot either; the lock would only create it.)
        const { existsSync } = await import('node:fs');
        const unlock = existsSync(opts.stateDir)
          ? await store.lock({ timeoutSeconds: lockTimeout, onWait: lockWaitNotice(opts.stateDir, lockTimeout) })
          : () => {};
        try {
          let sources: string[] | null = null;
          let snapId: string | null;
          let snap: import('../../apply/types.js').Snapshot;
          if (opts.agent) {
            const { agentSnapshot } = await import('../../apply/agent-snapshots.js');
            const merged = agentSnapshot(store, here);
            if (!merged)
              throw new OffloadError(
                'not-found',
                `no change of the agent to restore in ${store.dir}${netns ? ` (network namespace ${netns})` : ''}`,
              );
            ({ snapshot: snap, sources } = merged);
            snapId = snap.id;
          } else {
            snapId =
              id ??
              store.last(here, (bad, why) =>
                process.stderr.write(`offloadctl: skipping corrupt snapshot ${bad}: ${why}\n`),
              );
            if (snapId === null) {
              throw new OffloadError(
                'not-found',
                `no snapshot in ${store.dir}${netns ? ` taken in network namespace ${netns}` : ''}`,
              );
            }
            snap = store.read(snapId);
          }
          const snapshotId = snapId;
          // Names and ifindexes repeat across namespaces (lo is 1 everywhere): never restore elsewhere.
          if (!sameNetns(snap, here)) {
            const where =
              (snap.netns ? `network namespace ${snap.netns}` : 'another network namespace') +
              (snap.netnsId ? ` (${snap.netnsId}; this is ${here.id ?? 'unknown'})` : '');
            throw new OffloadError(
              'usage',
              `snapshot ${snapshotId} was taken in ${where}; run restore there` +
                (snap.netns ? ` (offloadctl --netns ${snap.netns} restore ${snapshotId})` : ''),
            );
          }
          const summary = sources ? { status: 'applied' as const } : store.summary(snapshotId);
          if (!opts.yes) {
            const { confirm } = await import('./apply.js');
            const q =
              `Restore ${snap.interfaces.length} interface${snap.interfaces.length === 1 ? '' : 's'} to snapshot ${snapshotId} ` +
              `(${snap.createdAt}, policy ${snap.policy}, ${summary.status})? [y/N] `;
            if (!(await confirm(q))) {
              process.stderr.write('offloadctl: nothing changed\n');
              return 1;
            }
          }
          const { withKernel } = await import('../context.js');
          const { restoreSnapshot } = await import('../../apply/restore.js');
          const report = await withKernel(g, (k) => restoreSnapshot(k, snap, sources ? [] : store.entries(snapshotId)));
          // Recording it is secondary: the kernel is back either way. On a full disk say so, exit 3.
          let notRecorded = '';
          if (report.counts.failed === 0) {
            try {
              if (sources) {
                const { markAgentRestored } = await import('../../apply/agent-snapshots.js');
                markAgentRestored(sources);
              } else {
                const j = store.journal(snapshotId);
                try {
                  j.append({ op: 'restored', at: new Date().toISOString() });
                } finally {
                  j.close();
                }
              }
            } catch (e) {
              const { stateFsError } = await import('../../apply/state-dir.js');
              notRecorded =
                `restored${report.ok ? ' and verified' : ''}, but could not record it: ${stateFsError(e, store.dir).message}; ` +
                `\`offloadctl snapshots\` still lists ${snapshotId} as ${summary.status} (restoring it again is harmless)`;
            }
          }
          const out = await import('../output.js');
          if (opts.json || g.json)
            out.printJson({ ...report, previousStatus: summary.status, ...(notRecorded ? { notRecorded } : {}) });
          else {
            const { compactSet } = await import('../../plan/render.js');
            process.stdout.write(restoreText(report, summary.status, out.renderTable, compactSet));
          }
          if (notRecorded) {
            process.stderr.write(`offloadctl: ${notRecorded}\n`);
            return 3;
          }
          return report.ok ? 0 : 1;
        } finally {
          unlock();
        }
      }),
    );
}

function restoreText(
  r: import('../../apply/types.js').RestoreReport,
  previous: string,
  renderTable: (h: readonly string[], rows: readonly (readonly string[])[]) => string,
  compactSet: (set: Record<string, boolean>) => string,
): string {
  // restoreSnapshot shares one `set` among interfaces restored alike: its text once
  const setText = new Map<Record<string, boolean>, string>();
  const setTextOf = (set: Record<string, boolean>) => {
    let t = setText.get(set);
    if (t === undefined) setText.set(set, (t = compactSet(set)));
    return t;
  };
  const rows = r.results
    .filter((x) => x.status !== 'unchanged' || x.activeDiffers || x.renamed)
    .map((x) => [
      x.renamed ? `${x.ifname} (now ${x.renamed})` : x.ifname,
      x.status,
      x.set ? setTextOf(x.set) : '',
      [x.error, x.activeDiffers ? `active differs: ${x.activeDiffers.join(', ')}` : undefined]
        .filter(Boolean)
        .join('; '),
    ]);
  let text = rows.length ? renderTable(['INTERFACE', 'RESULT', 'SET BACK', 'DETAIL'], rows) + '\n' : '';
  const c = r.counts;
  text +=
    `snapshot ${r.snapshot} (was ${previous}): ${c.restored} restored, ${c.unchanged} already as recorded, ` +
    `${c.vanished} vanished, ${c.replaced} replaced, ${c.failed} failed` +
    (r.ok ? ', verified\n' : '\n');
  return text;
}
