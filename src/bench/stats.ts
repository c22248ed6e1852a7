/**
 * Statistics for comparing offload profiles: pure functions, no I/O.
 * Medians and quartiles describe each profile; a bootstrap interval describes the ratio between two
 * profiles; the verdict puts that interval in words without claiming more than it supports.
 */

export { median, quantile, seededRandom } from '../model/statistics.js';
import { median, quantile, seededRandom } from '../model/statistics.js';

export interface Summary {
  n: number;
  median: number;
  /** First and third quartile; q3 - q1 is the interquartile range. */
  q1: number;
  q3: number;
  iqr: number;
  min: number;
  max: number;
  /** IQR relative to the median (0.05 = the middle half spans 5% of the median). */
  relSpread: number;
}

export function summarize(values: readonly number[]): Summary {
  const v = values.filter((x) => Number.isFinite(x));
  const med = median(v);
  const q1 = quantile(v, 0.25);
  const q3 = quantile(v, 0.75);
  return {
    n: v.length,
    median: med,
    q1,
    q3,
    iqr: q3 - q1,
    min: v.length ? Math.min(...v) : Number.NaN,
    max: v.length ? Math.max(...v) : Number.NaN,
    relSpread: med !== 0 && v.length ? (q3 - q1) / Math.abs(med) : Number.NaN,
  };
}

export interface RatioInterval {
  /** median(candidate) / median(baseline). */
  ratio: number;
  low: number;
  high: number;
  confidence: number;
  /** Samples per side; an interval from fewer than 5 a side is rough, and the verdict says so. */
  nBaseline: number;
  nCandidate: number;
}

export interface BootstrapOptions {
  iterations?: number;
  confidence?: number;
  seed?: number;
}

/**
 * Percentile bootstrap of the ratio of medians: resample each profile's runs with replacement,
 * take median(candidate)/median(baseline) each time, report the central `confidence` share.
 * Returns NaNs when either side has no samples or the baseline median is 0.
 */
export function ratioInterval(
  baseline: readonly number[],
  candidate: readonly number[],
  opts: BootstrapOptions = {},
): RatioInterval {
  const iterations = opts.iterations ?? 4000;
  const confidence = opts.confidence ?? 0.95;
  const rnd = seededRandom(opts.seed ?? 1);
  const a = baseline.filter(Number.isFinite);
  const b = candidate.filter(Number.isFinite);
  const out: RatioInterval = {
    ratio: Number.NaN,
    low: Number.NaN,
    high: Number.NaN,
    confidence,
    nBaseline: a.length,
    nCandidate: b.length,
  };
  if (a.length === 0 || b.length === 0) return out;
  const ma = median(a);
  if (ma === 0) return out;
  out.ratio = median(b) / ma;
  const resample = (xs: number[]) => {
    const r = new Array<number>(xs.length);
    for (let i = 0; i < xs.length; i++) r[i] = xs[Math.floor(rnd() * xs.length)]!;
    return r;
  };
  const ratios: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const den = median(resample(a));
    if (den === 0) continue;
    ratios.push(median(resample(b)) / den);
  }
  const tail = (1 - confidence) / 2;
  out.low = quantile(ratios, tail);
  out.high = quantile(ratios, 1 - tail);
  return out;
}

/** Whether a bigger value is better (throughput) or worse (CPU, latency, loss). */
export type Better = 'higher' | 'lower';

export interface VerdictInput {
  /** e.g. "TCP throughput", "sender CPU per Gbit/s". */
  metric: string;
  better: Better;
  baseline: string;
  candidate: string;
  interval: RatioInterval;
  /** "on this host", "on the netns lab", "on the vm lab (TCG)". */
  where?: string;
}

export type VerdictKind = 'better' | 'worse' | 'no-difference' | 'unknown';

export interface Verdict {
  kind: VerdictKind;
  text: string;
}

const pct = (x: number) => Math.round(x * 100);

/**
 * One sentence about candidate vs baseline. The effect is named only when the whole interval lies on
 * one side of 1 (ratio 1 = no change); the number quoted is the median ratio and the interval is
 * always printed next to it.
 *   "on this host, tso-gso-off costs 74% TCP throughput vs offloads-on (95% CI 70–78%)"
 *   "on this host, no measurable difference in TCP throughput between offloads-on and tso-gso-off (...)"
 */
export function verdict(v: VerdictInput): Verdict {
  const where = v.where ?? 'on this host';
  const { ratio, low, high, confidence } = v.interval;
  const ci = `${pct(confidence)}% CI`;
  if (!Number.isFinite(ratio) || !Number.isFinite(low) || !Number.isFinite(high)) {
    return {
      kind: 'unknown',
      text: `${where}, ${v.metric}: not enough data to compare ${v.candidate} with ${v.baseline}`,
    };
  }
  const n = Math.min(v.interval.nBaseline, v.interval.nCandidate);
  if (n < 2) {
    return {
      kind: 'unknown',
      text:
        `${where}, ${v.metric}: ${v.candidate}/${v.baseline} ratio ${ratio.toFixed(2)} from a single run each: ` +
        `no interval, no verdict (use --repeat 3 or more)`,
    };
  }
  // Percentile bootstrap intervals of medians from fewer than 5 runs a side are coarse: say so.
  const rough =
    Math.min(v.interval.nBaseline, v.interval.nCandidate) < 5
      ? ` [only ${Math.min(v.interval.nBaseline, v.interval.nCandidate)} runs per profile: a rough interval]`
      : '';
  if (low <= 1 && high >= 1) {
    return {
      kind: 'no-difference',
      text:
        `${where}, no measurable difference in ${v.metric} between ${v.baseline} and ${v.candidate} ` +
        `(ratio ${ratio.toFixed(2)}, ${ci} ${low.toFixed(2)}–${high.toFixed(2)})${rough}`,
    };
  }
  const below = high < 1; // the candidate's value is lower than the baseline's
  const worse = v.better === 'higher' ? below : !below;
  let text: string;
  if (below) {
    // Express as a reduction: 1 - ratio, interval [1 - high, 1 - low].
    const verb = worse ? 'costs' : 'saves';
    text =
      `${where}, ${v.candidate} ${verb} ${pct(1 - ratio)}% ${v.metric} vs ${v.baseline} ` +
      `(${ci} ${pct(1 - high)}–${pct(1 - low)}%)`;
  } else {
    const verb = worse ? 'costs' : 'gains';
    text =
      `${where}, ${v.candidate} ${verb} +${pct(ratio - 1)}% ${v.metric} vs ${v.baseline} ` +
      `(${ci} +${pct(low - 1)}–+${pct(high - 1)}%)`;
  }
  return { kind: worse ? 'worse' : 'better', text: text + rough };
}
