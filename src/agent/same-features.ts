import type { FeatureMap } from '../model/types.js';

/** Same bits, same active/requested/fixed: a notification that brings nothing new. */
export function sameFeatures(a: FeatureMap, b: FeatureMap): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    const x = a[k]!;
    const y = b[k];
    if (!y || x.active !== y.active || x.requested !== y.requested || x.fixed !== y.fixed) return false;
  }
  return true;
}
