/**
 * The data the agent's page receives (GET /api/ui/state, SSE `rows`): plain JSON, compact enough
 * for 2,000 interfaces × 64 kernel features (one letter per feature, interned policy wants).
 * Shared by the server (src/ui/server) and the page (src/ui/page); no imports from either.
 */

/** One letter per kernel feature, in UiSnapshot.features order: FEATURE_CODES[active*4 | requested*2 | fixed]; '-' absent. */
export const FEATURE_CODES = 'abcdefgh';

export interface UiVm {
  platform: string;
  id: string | null;
  name: string | null;
  nic: string | null;
}

export interface UiRow {
  ifindex: number;
  name: string;
  kind: string | null;
  role: string;
  /** Master's name (bridge, bond, OVS bridge...), null when none. */
  master: string | null;
  operstate: string;
  vm: UiVm | null;
  /** The agent's reconcile state (compliant, pending, held, non-compliant, backoff, gave-up, unmanaged). */
  state: string;
  finding: string | null;
  /** Feature codes, one per UiSnapshot.features entry. */
  codes: string;
  /** Index into UiSnapshot.wants; -1: the policy wants nothing here. */
  want: number;
}

/** kernel feature → [wanted value (1 on, 0 off), index into UiSnapshot.rules]. */
export type UiWant = Record<string, [0 | 1, number]>;

export interface UiColumn {
  head: string;
  /** ethtool short name (tso, gso, ...). */
  short: string;
  /** ethtool --json -k key of the aggregate (what the oracle calls it). */
  ethtool: string;
  /** Indexes into UiSnapshot.features of the kernel features behind the column. */
  members: number[];
}

export interface UiSnapshot {
  /** Increases with every change sent; SSE patches with version ≤ this are already included. */
  version: number;
  takenAt: string;
  mode: string;
  policy: { name: string; source?: string };
  ready: boolean;
  backend: string;
  /** Whether the agent has a token configured (actions possible at all). */
  tokenConfigured: boolean;
  /** Built-in profiles the page offers for preview/apply. */
  profiles: { name: string; description: string }[];
  features: string[];
  columns: UiColumn[];
  rules: string[];
  wants: UiWant[];
  rows: UiRow[];
  /** Sequence number of the newest agent event included in `events`. */
  eventSeq: number;
  events: UiEvent[];
}

/** An agent event as /api/events gives it (enforce, drift, finding, enforce-failed, ...). */
export interface UiEvent {
  seq: number;
  time: string;
  action: string;
  interface?: string;
  ifindex?: number;
  [k: string]: unknown;
}

/** SSE `rows`: rows added or changed, ifindexes gone; wants/rules replace the page's tables. */
export interface UiPatch {
  version: number;
  rows: UiRow[];
  gone: number[];
  wants: UiWant[];
  rules: string[];
  features: string[];
  mode: string;
  policy: { name: string; source?: string };
}
