import type { FeatureMap } from '../model/types.js';

/**
 * Interfaces with a FEATURES_SET on the way, and the feature notifications that came meanwhile
 * (most likely the set's own, notified before its answer: the verification decides, and only a
 * difference from what it read needs another look).
 */
export class InFlight {
  private readonly sets = new Set<number>();
  private readonly deferred = new Map<number, FeatureMap>();

  begin(ifindex: number): void {
    this.sets.add(ifindex);
  }

  has(ifindex: number): boolean {
    return this.sets.has(ifindex);
  }

  /** A notification while the set is on the way: kept for end(). */
  defer(ifindex: number, features: FeatureMap): void {
    this.deferred.set(ifindex, features);
  }

  /** The set is answered: the notification that came meanwhile, if any. */
  end(ifindex: number): FeatureMap | undefined {
    this.sets.delete(ifindex);
    const n = this.deferred.get(ifindex);
    if (n) this.deferred.delete(ifindex);
    return n;
  }

  forget(ifindex: number): void {
    this.deferred.delete(ifindex);
  }
}
