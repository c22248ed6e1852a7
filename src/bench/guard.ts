import { OffloadError } from '../model/errors.js';
import { median, ratioInterval, verdict } from './stats.js';
import { ALL_TESTS, HEADLINE, METRICS, type MetricName, type TestName } from './types.js';
import { metricLabel } from './analyze.js';

/**
 * Guarded apply: measure, apply, measure again, and restore the snapshot when the chosen metric got
 * worse by more than the threshold — "turn it off, then check", done for the operator.
 * The decision compares medians (the rule is simple to state and to predict); the bootstrap interval
 * is reported next to it.
 */

export interface GuardSettings {
  /** The test whose headline metric decides: tcp, tcp-multi, tcp-reverse, udp → throughput; rr → p50 latency. */
  test: TestName;
  /** Allowed relative worsening, 0.10 = 10%. */
  threshold: number;
}

export interface GuardDecision {
  test: TestName;
  metric: MetricName;
  before: number[];
  after: number[];
  beforeMedian: number;
  afterMedian: number;
  /** after/before − 1 (−0.74 = 74% lower). */
  change: number;
  threshold: number;
  regressed: boolean;
  /** Ratio interval and its wording, for the report. */
  ratioLow: number;
  ratioHigh: number;
  text: string;
}

export interface GuardReport extends GuardDecision {
  snapshot: string | null;
  rolledBack: boolean;
  rollbackOk: boolean | null;
  rollbackError?: string;
}

/** "10%", "10" → 0.10; "0.1" → 0.10. */
export function parseThreshold(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(s);
  if (!m) throw new OffloadError('usage', `--guard-threshold: expected a percentage like 10% (got "${s}")`);
  const v = Number(m[1]);
  const frac = m[2] === '%' || v > 1 ? v / 100 : v;
  if (!(frac > 0 && frac < 1)) throw new OffloadError('usage', '--guard-threshold must be between 0% and 100%');
  return frac;
}

export function parseGuardTest(s: string): TestName {
  if (!(ALL_TESTS as readonly string[]).includes(s)) {
    throw new OffloadError('usage', `--guard-metric: unknown test "${s}" (${ALL_TESTS.join(', ')})`);
  }
  return s as TestName;
}

export function guardMetric(test: TestName): MetricName {
  return HEADLINE[test][0]!;
}

/** Pure: did the metric get worse than the threshold allows? */
export function decide(settings: GuardSettings, before: number[], after: number[]): GuardDecision {
  const metric = guardMetric(settings.test);
  const better = METRICS[metric].better;
  const mb = median(before);
  const ma = median(after);
  const change = mb ? ma / mb - 1 : Number.NaN;
  const worse = better === 'higher' ? -change : change;
  const regressed = Number.isFinite(worse) && worse > settings.threshold;
  const iv = ratioInterval(before, after, { seed: 1 });
  const v = verdict({
    metric: metricLabel(settings.test, metric),
    better,
    baseline: 'before',
    candidate: 'the change',
    interval: iv,
    where: 'on this host',
  });
  return {
    test: settings.test,
    metric,
    before,
    after,
    beforeMedian: mb,
    afterMedian: ma,
    change,
    threshold: settings.threshold,
    regressed,
    ratioLow: iv.low,
    ratioHigh: iv.high,
    text: v.text,
  };
}

export interface GuardDeps {
  /** One value of the guard metric per run. */
  measure(phase: 'before' | 'after'): Promise<number[]>;
  apply(): Promise<{ snapshot: string | null; ok: boolean }>;
  restore(snapshot: string): Promise<{ ok: boolean; error?: string }>;
}

export async function runGuard(settings: GuardSettings, deps: GuardDeps): Promise<GuardReport> {
  const before = await deps.measure('before');
  if (!before.length)
    throw new OffloadError('system', 'guard: no measurement succeeded before apply; nothing was changed');
  const applied = await deps.apply();
  // Nothing changed, or apply failed and rolled itself back: nothing for the guard to judge.
  const judged = applied.snapshot !== null && applied.ok;
  const after = judged ? await deps.measure('after') : before;
  const d = decide(settings, before, after);
  const report: GuardReport = { ...d, snapshot: applied.snapshot, rolledBack: false, rollbackOk: null };
  if (!judged) report.regressed = false;
  if (judged && (d.regressed || !after.length)) {
    const r = await deps.restore(applied.snapshot!);
    report.rolledBack = true;
    report.rollbackOk = r.ok;
    if (r.error) report.rollbackError = r.error;
    if (!after.length) report.regressed = true;
  }
  return report;
}

export function guardText(r: GuardReport): string {
  const info = METRICS[r.metric];
  const f = (x: number) => (Number.isFinite(x) ? x.toPrecision(4) : '-');
  const pct = Number.isFinite(r.change) ? `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(1)}%` : 'n/a';
  const lines = [
    `guard: ${metricLabel(r.test, r.metric)} before ${f(r.beforeMedian)} ${info.unit}, after ${f(r.afterMedian)} ${info.unit} ` +
      `(${pct}, median of ${r.before.length}/${r.after.length} runs; threshold ${(r.threshold * 100).toFixed(0)}%)`,
    `guard: ${r.text}`,
  ];
  if (!r.snapshot) lines.push('guard: nothing was changed, nothing to check');
  else if (r.rolledBack)
    lines.push(
      r.rollbackOk
        ? `guard: regressed beyond the threshold: snapshot ${r.snapshot} restored automatically (verified)`
        : `guard: regressed beyond the threshold, but the restore of ${r.snapshot} FAILED: ${r.rollbackError ?? ''} (offloadctl restore ${r.snapshot})`,
    );
  else lines.push('guard: within the threshold: the change is kept');
  return lines.join('\n') + '\n';
}
