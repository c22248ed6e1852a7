import type { FeatureMap } from '../model/types.js';

/**
 * Frozen maps found equal: in a burst every tap's notification (one interned map, see the monitor)
 * is compared with the state its set left (one map per plan, fast-plan.ts), the same pair each
 * time. Frozen maps cannot change, so the answer stays valid; weak, so nothing is kept alive.
 */
const known = new WeakMap<FeatureMap, WeakSet<FeatureMap>>();

/** Same bits, same active/requested/fixed: a notification that brings nothing new. */
export function sameFeatures(a: FeatureMap, b: FeatureMap): boolean {
  if (a === b || known.get(a)?.has(b)) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    const x = a[k]!;
    const y = b[k];
    if (!y || x.active !== y.active || x.requested !== y.requested || x.fixed !== y.fixed) return false;
  }
  if (Object.isFrozen(a) && Object.isFrozen(b)) {
    let s = known.get(a);
    if (!s) known.set(a, (s = new WeakSet()));
    s.add(b);
  }
  return true;
}
