/**
 * A percentile bootstrap confidence interval for the ratio of two ratios of sums:
 *   (Σ num_after / Σ den_after) / (Σ num_before / Σ den_before)
 * resampling each window's sub-windows with replacement (Efron & Tibshirani, ch. 13). Seeded, so
 * the same recording always gives the same interval.
 */
export interface RatioCi {
  ratio: number;
  low: number;
  high: number;
  level: number;
  resamples: number;
}

/** mulberry32: a small, good-enough PRNG for resampling indices. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function bootstrapRatio(before: readonly Part[], after: readonly Part[], o: { resamples?: number; level?: number; seed?: number } = {}): RatioCi {
  const resamples = o.resamples ?? 2000;
  const level = o.level ?? 0.95;
  const rnd = prng(o.seed ?? 0x0ff10ad);
  const pick = (n: number) => Math.floor(rnd() * n);
  const ratio = ratioOfSums(after) / ratioOfSums(before);
  const stats: number[] = [];
  for (let i = 0; i < resamples; i++) {
    const r = ratioOfSums(after, pick) / ratioOfSums(before, pick);
    if (Number.isFinite(r)) stats.push(r);
  }
  stats.sort((a, b) => a - b);
  if (stats.length === 0) return { ratio, low: NaN, high: NaN, level, resamples };
  const tail = (1 - level) / 2;
  return { ratio, low: quantile(stats, tail), high: quantile(stats, 1 - tail), level, resamples };
}
