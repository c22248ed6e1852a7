import type { ApplyReport, RestoreReport, Snapshot, JournalEntry } from '../apply/types.js';
import type { KernelBackend } from '../kernel/types.js';
import { OffloadError } from '../model/errors.js';
import { guardMetric, parseGuardTest, parseThreshold, runGuard, type GuardReport } from './guard.js';
import type { GuardCliOptions } from './guard-options.js';
import { runOne } from './run.js';
import { netnsLabTarget, serverTarget, type BenchTarget } from './targets.js';

/**
 * `apply --guard` wiring: the measuring side (a lab's guests or an operator's iperf3 server), the
 * apply the command would do anyway, and the apply pipeline's own restore when the guard trips.
 */

/** The parts of the apply pipeline's SnapshotStore the guard uses. */
export interface GuardStore {
  read(id: string): Snapshot;
  entries(id: string): JournalEntry[];
  journal(id: string): { append(e: JournalEntry): void; close(): void };
}

export function parseServer(s: string): { host: string; port?: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(s);
  if (!m || (s.split(':').length > 2 && !s.startsWith('['))) return { host: s };
  return { host: m[1]!, port: m[2] ? Number(m[2]) : undefined };
}

export async function guardedApply(
  opts: GuardCliOptions,
  deps: { apply: () => Promise<ApplyReport>; kernel: KernelBackend; store: GuardStore; log?: (m: string) => void },
): Promise<{ report: ApplyReport; guard: GuardReport }> {
  const log = deps.log ?? ((m: string) => process.stderr.write(`offloadctl: ${m}\n`));
  const test = parseGuardTest(opts.guardMetric);
  const threshold = parseThreshold(opts.guardThreshold);
  if (!opts.guardServer === !opts.guardLab) {
    throw new OffloadError(
      'usage',
      '--guard needs where to measure: --guard-server HOST or --guard-lab NAME (one of them)',
    );
  }
  const target: BenchTarget = opts.guardServer
    ? (() => {
        const { host, port } = parseServer(opts.guardServer!);
        return serverTarget({ server: host, port });
      })()
    : await netnsLabTarget({ labName: opts.guardLab });
  if (target.unsupported[test]) {
    await target.teardown();
    throw new OffloadError('usage', `--guard-metric ${test}: ${target.unsupported[test]}`);
  }
  const metric = guardMetric(test);
  let report: ApplyReport | null = null;
  try {
    const guard = await runGuard(
      { test, threshold },
      {
        measure: async (phase) => {
          log(`guard: measuring ${test} ${phase} apply (${opts.guardRepeat} × ${opts.guardDuration} s)`);
          const out: number[] = [];
          for (let i = 0; i < opts.guardRepeat; i++) {
            try {
              const v = (
                await runOne(target, test, { profiles: [], tests: [test], duration: opts.guardDuration, repeat: 1 })
              )[metric];
              if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
            } catch (e) {
              log(`guard: ${phase} run ${i + 1} failed: ${(e as Error).message.split('\n')[0]}`);
            }
          }
          return out;
        },
        apply: async () => {
          report = await deps.apply();
          return { snapshot: report.snapshot, ok: report.status === 'applied' || report.status === 'nothing-to-do' };
        },
        restore: async (id) => {
          const { restoreSnapshot } = await import('../apply/restore.js');
          const r: RestoreReport = await restoreSnapshot(deps.kernel, deps.store.read(id), deps.store.entries(id));
          if (r.counts.failed === 0) {
            const j = deps.store.journal(id);
            try {
              j.append({ op: 'restored', at: new Date().toISOString() });
            } finally {
              j.close();
            }
          }
          return r.ok
            ? { ok: true }
            : {
                ok: false,
                error:
                  r.results
                    .filter((x) => x.error)
                    .map((x) => `${x.ifname}: ${x.error}`)
                    .join('; ') || 'verification differs',
              };
        },
      },
    );
    return { report: report!, guard };
  } finally {
    await target.teardown().catch(() => undefined);
  }
}
