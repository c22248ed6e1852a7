/**
 * A percentile bootstrap confidence interval for the ratio of two ratios of sums:
 *   (Σ num_after / Σ den_after) / (Σ num_before / Σ den_before)
 * resampling each window's sub-windows with replacement (Efron & Tibshirani, ch. 13). Seeded, so
 * the same recording always gives the same interval.
 */
import { quantile, seededRandom } from '../model/statistics.js';

export interface RatioCi {
  ratio: number;
  low: number;
  high: number;
  level: number;
  resamples: number;
}

export interface Part {
  num: number;
  den: number;
}

function ratioOfSums(parts: readonly Part[], pick?: (n: number) => number): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[pick ? pick(parts.length) : i]!;
    num += p.num;
    den += p.den;
  }
  return den > 0 ? num / den : NaN;
}

export function bootstrapRatio(
  before: readonly Part[],
  after: readonly Part[],
  o: { resamples?: number; level?: number; seed?: number } = {},
): RatioCi {
  const resamples = o.resamples ?? 2000;
  const level = o.level ?? 0.95;
  const rnd = seededRandom(o.seed ?? 0x0ff10ad);
  const pick = (n: number) => Math.floor(rnd() * n);
  const ratio = ratioOfSums(after) / ratioOfSums(before);
  const stats: number[] = [];
  for (let i = 0; i < resamples; i++) {
    const r = ratioOfSums(after, pick) / ratioOfSums(before, pick);
    if (Number.isFinite(r)) stats.push(r);
  }
  if (stats.length === 0) return { ratio, low: NaN, high: NaN, level, resamples };
  const tail = (1 - level) / 2;
  return { ratio, low: quantile(stats, tail), high: quantile(stats, 1 - tail), level, resamples };
}
