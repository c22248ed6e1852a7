import type { DesiredInterface, Interface } from '../model/types.js';
import { planInterface } from '../plan/plan.js';
import { heldBy } from '../plan/held-by-guest.js';

/**
 * The agent's reconcile core: pure. (one interface as observed, what the policy wants, what the
 * agent did to it recently) → actions. Like a controller's reconcile function it is level-based:
 * it looks at the current state only, so replaying it after a lost event (overrun) or at start-up
 * gives the same answer, and it never loops: repeated changes that do not stick back off and stop.
 */

export type Mode = 'enforce' | 'report';

/** Why the interface is being looked at: decides how a deviation is named and counted. */
export type Cause = 'new' | 'drift' | 'resync' | 'retry';

export interface Deviation {
  feature: string;
  want: boolean;
  requested: boolean;
  active: boolean;
}

export type Finding =
  | 'non-compliant' // report mode: the policy wants a change the agent does not make
  | 'drift' // a compliant interface changed behind the agent's back
  | 'held' // requested as the policy wants, but the kernel keeps it off (a dependency, e.g. sg off)
  | 'guest-negotiated' // a tap: QEMU set the offloads the guest negotiated (TUNSETOFFLOAD); not fought
  | 'fixed' // the driver does not let it change
  | 'gave-up'; // changed repeatedly and it did not stick: stopped, see backoff

export type IfaceState = 'compliant' | 'pending' | 'non-compliant' | 'held' | 'backoff' | 'gave-up' | 'unmanaged';

export type Action =
  | { kind: 'set'; ifindex: number; name: string; changes: Record<string, boolean>; reason: Cause; attempt: number }
  | {
      kind: 'compliant';
      ifindex: number;
      name: string /** ms since the link appeared, first time only */;
      delayMs: number | null;
    }
  | { kind: 'report'; ifindex: number; name: string; finding: Finding; deviations: Deviation[]; drift: boolean }
  | { kind: 'retry-at'; ifindex: number; name: string; at: number };

/** What the agent remembers per ifindex between reconciles. Plain data; replaced, never mutated. */
export interface History {
  /** Receipt time of the link-new event (ms, monotonic) until it is first compliant; then null. */
  pendingSince: number | null;
  /** Has been compliant at least once while the agent watched: later deviations are drift. */
  compliantOnce: boolean;
  /** Enforcements in the current streak (reset after a quiet period). */
  attempts: number;
  lastAttemptAt: number | null;
  /** No new attempt before this time. */
  retryAt: number | null;
  gaveUp: boolean;
  /** Signature of the last reported finding: the same finding is reported once, not per event. */
  reportedSig: string | null;
  /** The same for fixed bits, kept apart so a held and a fixed finding do not re-report each other. */
  reportedFixedSig: string | null;
  state: IfaceState;
}

export interface BackoffOptions {
  /** Delay before the 2nd attempt; doubles for each further one. */
  baseMs: number;
  maxMs: number;
  /** Attempts in one streak before giving up and reporting. */
  maxAttempts: number;
  /** A streak ends when no attempt was needed for this long. */
  quietMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 60_000, maxAttempts: 5, quietMs: 120_000 };

export function newHistory(pendingSince: number | null): History {
  return {
    pendingSince,
    compliantOnce: false,
    attempts: 0,
    lastAttemptAt: null,
    retryAt: null,
    gaveUp: false,
    reportedSig: null,
    reportedFixedSig: null,
    state: 'pending',
  };
}

export interface Classified {
  /** Requested differs from the policy and the feature can change: a FEATURES_SET fixes it. */
  toSet: Deviation[];
  /** Requested as wanted, active differs: the kernel holds it (dependency or tap negotiation). */
  held: Deviation[];
  /** Cannot change, and differs. */
  fixed: Deviation[];
}

/**
 * Compare one interface with what the policy wants, through the planner (the same rules `plan` and
 * `apply` use: fixed bits, dependencies, bridges following their ports). `hasPorts`: the interface
 * is a bridge or bond master with ports (its one-for-all bits follow them).
 */
export function classify(iface: Interface, desired: DesiredInterface, hasPorts = false): Classified {
  const out: Classified = { toSet: [], held: [], fixed: [] };
  const { change, skipped } = planInterface(iface, desired, hasPorts ? 1 : 0);
  const dev = (feature: string): Deviation => {
    const f = iface.features[feature]!;
    return { feature, want: desired.features[feature]!.value, requested: f.requested, active: f.active };
  };
  if (change) for (const feature of Object.keys(change.set)) out.toSet.push(dev(feature));
  for (const s of skipped) {
    if (s.reason === 'held') out.held.push(dev(s.feature));
    else if (s.reason === 'fixed') out.fixed.push(dev(s.feature));
  }
  return out;
}

export function backoffDelay(attempt: number, o: BackoffOptions): number {
  return Math.min(o.maxMs, o.baseMs * 2 ** Math.max(0, attempt - 1));
}

function sig(finding: Finding, devs: Deviation[]): string {
  return (
    finding +
    ':' +
    devs
      .map((d) => `${d.feature}=${d.requested ? 1 : 0}${d.active ? 1 : 0}`)
      .sort()
      .join(',')
  );
}

/** Every held bit is the guest's to enable (plan/held-by-guest.ts: the verdict audit and apply give too). */
function heldByGuest(iface: Interface, held: readonly Deviation[], hasPorts: boolean): boolean {
  return held.every((d) => heldBy(iface, d.feature, d.want, hasPorts) === 'guest');
}

export interface Decision {
  actions: Action[];
  history: History;
}

/**
 * Decide for one interface. `desired` null means the policy does not select it (unmanaged).
 * `now` is the monotonic clock in ms (the same clock as History times). `classified`: the result
 * of classify(iface, desired, hasPorts) when the caller has it already (it depends on nothing else).
 */
export function decide(
  iface: Interface,
  desired: DesiredInterface | null,
  prev: History,
  mode: Mode,
  now: number,
  backoff: BackoffOptions = DEFAULT_BACKOFF,
  hasPorts = false,
  classified?: Classified,
): Decision {
  const h: History = { ...prev };
  const actions: Action[] = [];
  const { ifindex, name } = iface;
  if (!desired || Object.keys(desired.features).length === 0) {
    h.state = 'unmanaged';
    h.pendingSince = null;
    return { actions, history: h };
  }
  const c = classified ?? classify(iface, desired, hasPorts);
  const report = (finding: Finding, devs: Deviation[], drift: boolean) => {
    const s = sig(finding, devs);
    const slot = finding === 'fixed' ? 'reportedFixedSig' : 'reportedSig';
    if (h[slot] === s) return;
    h[slot] = s;
    actions.push({ kind: 'report', ifindex, name, finding, deviations: devs, drift });
  };

  if (c.toSet.length === 0) {
    // Nothing a FEATURES_SET can do. Held and fixed bits are reported once, never retried.
    const drift = h.compliantOnce && h.state === 'compliant' && c.held.length > 0;
    if (c.held.length > 0) report(heldByGuest(iface, c.held, hasPorts) ? 'guest-negotiated' : 'held', c.held, drift);
    if (c.fixed.length > 0) report('fixed', c.fixed, false);
    const delayMs = h.pendingSince !== null ? now - h.pendingSince : null;
    if (c.held.length === 0) {
      if (h.state !== 'compliant' || delayMs !== null) actions.push({ kind: 'compliant', ifindex, name, delayMs });
      h.state = 'compliant';
      h.reportedSig = null;
    } else h.state = 'held';
    // Fixed bits that differ do not make an interface non-compliant: nothing can change them.
    h.pendingSince = null;
    h.compliantOnce = h.compliantOnce || c.held.length === 0;
    h.gaveUp = false;
    return { actions, history: h };
  }

  const drift = h.compliantOnce;
  const reason: Cause = drift ? 'drift' : h.attempts > 0 ? 'retry' : h.pendingSince !== null ? 'new' : 'resync';
  if (mode === 'report') {
    report(drift ? 'drift' : 'non-compliant', c.toSet, drift);
    h.state = 'non-compliant';
    h.pendingSince = null; // never compliant by the agent's hand: no delay sample
    return { actions, history: h };
  }
  // A streak ends after a quiet period, a given-up one too: then the interface gets a new chance.
  if (h.lastAttemptAt !== null && now - h.lastAttemptAt >= backoff.quietMs) {
    h.attempts = 0;
    h.retryAt = null;
    h.gaveUp = false;
  }
  if (h.gaveUp) {
    h.state = 'gave-up';
    return { actions, history: h };
  }
  if (h.retryAt !== null && now < h.retryAt) {
    if (drift) report('drift', c.toSet, true);
    actions.push({ kind: 'retry-at', ifindex, name, at: h.retryAt });
    h.state = 'backoff';
    return { actions, history: h };
  }
  if (h.attempts >= backoff.maxAttempts) {
    h.gaveUp = true;
    h.state = 'gave-up';
    report('gave-up', c.toSet, drift);
    return { actions, history: h };
  }
  if (drift) report('drift', c.toSet, true);
  h.attempts += 1;
  h.lastAttemptAt = now;
  h.retryAt = now + backoffDelay(h.attempts, backoff);
  h.state = 'pending';
  const changes: Record<string, boolean> = {};
  for (const d of c.toSet) changes[d.feature] = d.want;
  actions.push({ kind: 'set', ifindex, name, changes, reason, attempt: h.attempts });
  return { actions, history: h };
}
