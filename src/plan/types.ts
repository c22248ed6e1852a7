import type { Role } from '../model/types.js';

/**
 * A plan: the exact feature changes that bring a host from its observed state to what a policy
 * wants — a pure function of (Observation, Desired). Plain data; printable as `ethtool -K` commands
 * (render.ts) and as JSON.
 *
 * The plan compares and sets the *requested* (wanted) bits: that is what the kernel keeps, what
 * survives a dependency holding a feature off, and what a restore must put back. The *active* bits
 * are what verification checks afterwards.
 */
export interface Plan {
  /** Name of the policy the plan implements. */
  policy: string;
  /** When the observation it is based on was taken. */
  observedAt: string;
  /** One entry per interface that needs a change, in the order they must be applied. */
  changes: PlannedChange[];
  /** Features the policy asks for that are not changed, and why. */
  skipped: Skipped[];
  /** Interfaces the policy covers that need nothing (already as wanted). */
  compliant: string[];
}

export interface PlannedChange {
  ifname: string;
  ifindex: number;
  role: Role;
  kind: string | null;
  driver: string | null;
  master: string | null;
  /**
   * Apply stage: 0 for interfaces without ports, 1 + the highest stage of its ports for a bridge or
   * bond (their features are recomputed from their ports: br_features_recompute). Stages run in
   * order, with a fresh observation before each stage after the first.
   */
  stage: number;
  /** Kernel feature name → requested value to set. Never contains fixed or absent features. */
  set: Record<string, boolean>;
  /** Kernel feature name → the policy rule that wants it. */
  why: Record<string, string>;
  /**
   * Features not in `set` whose active state the kernel will change as a consequence
   * (netdev_fix_features: e.g. TSO goes off with scatter-gather, its requested bit stays on).
   */
  effects: Record<string, boolean>;
  warnings: string[];
}

export type SkipReason =
  /** Fixed for this device (not in hw_features, or NETIF_F_NEVER_CHANGE) and not as wanted. */
  | 'fixed'
  /** The device has no such feature (not in this kernel's list for it). */
  | 'absent'
  /** Already requested as wanted, and active as wanted (or will be, once a dependency returns). */
  | 'already'
  /** Requested as wanted, but the kernel holds the active state otherwise (a dependency, a tap's owner). */
  | 'held';

export interface Skipped {
  ifname: string;
  feature: string;
  reason: SkipReason;
  /** Human explanation, e.g. "needs tx-scatter-gather, which stays off". */
  detail?: string;
  /** reason 'held': 'guest' when a VM's tap keeps it off until the guest negotiates it (plan/held-by-guest.ts). */
  heldBy?: 'guest' | 'ports';
}
