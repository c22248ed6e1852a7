import type { Progress } from './run.js';
import { METRICS, type BenchResult, type MetricName, type TestName } from './types.js';

/** Human output of a bench: the table, the verdicts, and the live progress line (pure strings). */

/** Metrics shown in the table per test, in order. */
export const TABLE_METRICS: Record<TestName, MetricName[]> = {
  tcp: ['gbps', 'retransmits', 'senderCpu', 'receiverCpu', 'senderCpuPerGbps', 'hostCpu'],
  'tcp-reverse': ['gbps', 'retransmits', 'senderCpu', 'receiverCpu', 'senderCpuPerGbps', 'hostCpu'],
  'tcp-multi': ['gbps', 'retransmits', 'senderCpu', 'receiverCpu', 'senderCpuPerGbps', 'hostCpu'],
  udp: ['gbps', 'lossPct', 'jitterMs', 'senderCpu', 'receiverCpu', 'hostCpu'],
  rr: ['rttP50Us', 'rttP90Us', 'rttP99Us', 'tps', 'hostCpu'],
};

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return '-';
  return Math.abs(x) >= 1000 ? x.toFixed(0) : x.toPrecision(3);
}

/** Rows: test, metric (unit), one "median [q1–q3]" cell per profile, one ratio cell per candidate. */
export function tableRows(r: BenchResult): { headers: string[]; rows: string[][] } {
  const [base, ...cands] = r.profiles;
  const headers = [
    'test',
    'metric',
    ...r.profiles.map((p) => `${p} median [IQR]`),
    ...cands.map((c) => `${c}/${base} (95% CI)`),
  ];
  const rows: string[][] = [];
  for (const t of r.tests) {
    for (const m of TABLE_METRICS[t]) {
      const cells = r.profiles.map((p) => {
        const s = r.summary[p]?.[t]?.[m];
        return s ? `${fmt(s.median)} [${fmt(s.q1)}–${fmt(s.q3)}]` : '-';
      });
      if (cells.every((c) => c === '-')) continue;
      const ratios = cands.map((c) => {
        const b = r.summary[base!]?.[t]?.[m];
        const s = r.summary[c]?.[t]?.[m];
        const cmp = r.comparisons.find((x) => x.test === t && x.metric === m && x.candidate === c);
        if (cmp && Number.isFinite(cmp.ratio))
          return cmp.verdict === 'unknown'
            ? `${cmp.ratio.toFixed(2)} (1 run)`
            : `${cmp.ratio.toFixed(2)} (${cmp.low.toFixed(2)}–${cmp.high.toFixed(2)})`;
        return b && s && b.median ? (s.median / b.median).toFixed(2) : '-';
      });
      const unit = METRICS[m].unit;
      rows.push([t, `${METRICS[m].label}${unit ? ` ${unit}` : ''}`, ...cells, ...ratios]);
    }
  }
  return { headers, rows };
}

export function verdictLines(r: BenchResult): string[] {
  return r.comparisons.map((c) => `- ${c.text}`);
}

export function footer(r: BenchResult): string[] {
  const e = r.environment;
  const failed = r.samples.filter((s) => s.error).length;
  const n = r.samples.length;
  const l = [
    `path: ${e.path}`,
    `profiles applied in: ${e.appliedIn || 'this namespace'}; ${r.repeat} rounds × ${r.durationSec} s per test, interleaved`,
    ...(e.accelerator ? [`accelerator: ${e.accelerator.toUpperCase()}`] : []),
    ...e.notes,
    `runs: ${n - failed} ok${failed ? `, ${failed} failed` : ''}; kernel ${e.kernel}, ${e.cpus} CPUs; host CPU is /proc/stat of the whole machine`,
    r.restored ? 'interfaces restored to their state before the bench' : `RESTORE FAILED: ${r.restoreError ?? ''}`,
  ];
  return l;
}

function clock(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** One line for a TTY: [######----] 7/12 round 2/3 tso-gso-off tcp-multi ETA 1m05s */
export function progressLine(p: Progress, width = 24): string {
  const frac = p.total ? p.done / p.total : 0;
  const fill = Math.round(frac * width);
  const bar = '#'.repeat(fill) + '-'.repeat(width - fill);
  const what = p.test ? `${p.profile} ${p.test}` : `applying ${p.profile}`;
  const eta = p.etaSec === null ? 'ETA …' : `ETA ${clock(p.etaSec)}`;
  return `[${bar}] ${p.done}/${p.total} round ${p.round}/${p.rounds} ${what} ${eta}`;
}
