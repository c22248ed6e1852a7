import { ratioInterval, summarize, verdict } from './stats.js';
import {
  HEADLINE,
  METRICS,
  type BenchResult,
  type Comparison,
  type MetricName,
  type MetricSummary,
  type Sample,
  type TestName,
} from './types.js';

/** Pure analysis of a bench's samples: per-profile summaries and baseline-vs-candidate verdicts. */

export const TEST_LABEL: Record<TestName, string> = {
  tcp: 'TCP',
  'tcp-reverse': 'TCP reverse',
  'tcp-multi': 'TCP ×4',
  udp: 'UDP',
  rr: '',
};

export function valuesOf(samples: readonly Sample[], profile: string, test: TestName, metric: MetricName): number[] {
  return samples
    .filter((s) => s.profile === profile && s.test === test && !s.error)
    .map((s) => s.metrics[metric])
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

export function summarizeSamples(
  samples: readonly Sample[],
  profiles: readonly string[],
  tests: readonly TestName[],
): BenchResult['summary'] {
  const out: BenchResult['summary'] = {};
  for (const p of profiles) {
    const byTest: BenchResult['summary'][string] = {};
    for (const t of tests) {
      const m: Partial<Record<MetricName, MetricSummary>> = {};
      for (const name of Object.keys(METRICS) as MetricName[]) {
        const v = valuesOf(samples, p, t, name);
        if (!v.length) continue;
        const s = summarize(v);
        m[name] = { n: s.n, median: s.median, q1: s.q1, q3: s.q3, min: s.min, max: s.max };
      }
      byTest[t] = m;
    }
    out[p] = byTest;
  }
  return out;
}

export function metricLabel(test: TestName, metric: MetricName): string {
  const t = TEST_LABEL[test];
  return t ? `${t} ${METRICS[metric].label}` : METRICS[metric].label;
}

/** Baseline = the first profile; each other profile compared with it on each test's headline metrics. */
export function compare(
  samples: readonly Sample[],
  profiles: readonly string[],
  tests: readonly TestName[],
  opts: { where?: string; seed?: number; metrics?: (test: TestName) => MetricName[] } = {},
): Comparison[] {
  const out: Comparison[] = [];
  const [baseline, ...candidates] = profiles;
  if (!baseline) return out;
  for (const t of tests) {
    for (const metric of opts.metrics?.(t) ?? HEADLINE[t]) {
      for (const c of candidates) {
        const iv = ratioInterval(valuesOf(samples, baseline, t, metric), valuesOf(samples, c, t, metric), {
          seed: opts.seed ?? 1,
        });
        const v = verdict({
          metric: metricLabel(t, metric),
          better: METRICS[metric].better,
          baseline,
          candidate: c,
          interval: iv,
          where: opts.where,
        });
        out.push({
          test: t,
          metric,
          baseline,
          candidate: c,
          ratio: iv.ratio,
          low: iv.low,
          high: iv.high,
          confidence: iv.confidence,
          verdict: v.kind,
          text: v.text,
        });
      }
    }
  }
  return out;
}
