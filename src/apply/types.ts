import type { Role } from '../model/types.js';
import type { Skipped } from '../plan/types.js';

/** The recorded state of one interface, taken before apply changed anything. */
export interface SnapshotInterface {
  name: string;
  ifindex: number;
  role: Role;
  master: string | null;
  /** Apply/restore stage: ports (0) before their bridges/bonds (1, 2 ...). */
  stage: number;
  /**
   * Bitmaps over Snapshot.features, as hex strings (snapshot-codec.ts; read them with
   * recordedFeatures()): `recorded` = the interface's changeable features — fixed ones are not
   * recorded, nothing can change them —, `requested` their requested (wanted) bits, `active` their
   * active bits (what verification after a restore compares).
   */
  recorded: string;
  requested: string;
  active: string;
}

export interface Snapshot {
  /** File format (snapshot-codec.ts): 2 = this shape; files of format 1 are converted when read. */
  version: 2;
  id: string;
  createdAt: string;
  /** The policy the apply implemented. */
  policy: string;
  /**
   * Who wrote it: absent for `apply`; "agent" for what the agent found before it first changed
   * these interfaces (lines of RUN.agent.jsonl in agentRecordDir(STATE_DIR), apply/first-change-record.ts;
   * `restore --agent` restores them all).
   */
  by?: 'agent';
  /** Network namespace the apply ran in (`--netns`), null for the host's own. */
  netns: string | null;
  /**
   * The namespace's identity, `readlink /proc/self/ns/net` (e.g. `net:[4026531833]`): restore
   * refuses to run in another namespace even when names and ifindexes look alike there.
   */
  netnsId?: string | null;
  /** Taken in the host's own network namespace (that of PID 1). */
  netnsHost?: boolean | null;
  /** Feature names, once: bit i of every interface's bitmaps is features[i]. */
  features: string[];
  interfaces: SnapshotInterface[];
}

/**
 * What happened to a snapshot, read from its journal:
 * - interrupted: the apply never finished (killed, crashed): `restore` puts back what it changed;
 * - applied / partial (`--keep-going` with failures) / rolled-back (failed, changes undone);
 * - restored: `restore` brought the interfaces back to it;
 * - corrupt: the snapshot file cannot be read as one (truncated, wrong types): listed, never restored.
 */
export type SnapshotStatus = 'interrupted' | 'applied' | 'partial' | 'rolled-back' | 'restored' | 'corrupt';

export type JournalEntry =
  /** Written and fsynced before a batch of interfaces is changed. */
  | { op: 'intent'; at: string; stage: number; ifaces: string[] }
  /** Written after the batch, with what happened. */
  | { op: 'done'; at: string; changed: string[]; failed: string[]; vanished: string[] }
  | { op: 'end'; at: string; status: 'applied' | 'partial' | 'rolled-back' }
  | { op: 'restored'; at: string };

export interface SnapshotSummary {
  id: string;
  createdAt: string;
  policy: string;
  netns: string | null;
  netnsId: string | null;
  interfaces: number;
  status: SnapshotStatus;
  restoredAt: string | null;
  /** Why a snapshot is listed as corrupt. */
  error?: string;
}

export type ApplyStatus = 'changed' | 'compliant' | 'failed' | 'vanished';

export interface ApplyResult {
  ifname: string;
  status: ApplyStatus;
  /** The features set (for changed/failed). */
  set?: Record<string, boolean>;
  /** Kernel error, or what verification found. */
  error?: string;
  warnings?: string[];
}

export interface ApplyReport {
  policy: string;
  /** null when there was nothing to do (no snapshot is written then). */
  snapshot: string | null;
  status: 'nothing-to-do' | 'applied' | 'partial' | 'rolled-back';
  results: ApplyResult[];
  /** Features not changed (fixed, absent, held), from the plan. */
  skipped: Skipped[];
  /** When anything failed without --keep-going: what the rollback did. */
  rollback: RestoreReport | null;
  counts: Record<ApplyStatus, number>;
  /**
   * Features the policy wants on that a VM's tap keeps off until its guest negotiates them
   * (plan/held-by-guest.ts), as the kernel reports them after apply: not failures, and `audit`
   * does not count them either (unless --strict).
   */
  heldByGuest?: { ifname: string; features: string[] }[];
  /**
   * Milliseconds since apply started, at the end of each phase: snapshot (on disk), set, verify,
   * rollback (when one ran), total; the CLI adds observeAndPlan (its own duration, before apply).
   */
  timings?: Record<string, number>;
}

export type RestoreStatus =
  /** Requested bits put back and verified. */
  | 'restored'
  /** Already as recorded: nothing to do (apply never got to it, or it was restored before). */
  | 'unchanged'
  /** No interface of that name any more (VM stopped): reported, not fatal. */
  | 'vanished'
  /** An interface of that name exists but with another ifindex: a different device (VM restarted). Left alone. */
  | 'replaced'
  /** The kernel refused, or verification found a requested bit not as recorded. */
  | 'failed';

export interface RestoreResult {
  ifname: string;
  status: RestoreStatus;
  /** Features set back (restored/failed). */
  set?: Record<string, boolean>;
  /** Whether the journal says apply changed it (false: apply never got to it, or the journal lost it). */
  journaled: boolean;
  /** The device's name now, when it was renamed since the snapshot (found by its ifindex). */
  renamed?: string;
  error?: string;
  /** Active features that differ from the snapshot after restoring (e.g. a tap's owner changed offloads since). */
  activeDiffers?: string[];
}

export interface RestoreReport {
  snapshot: string;
  results: RestoreResult[];
  counts: Record<RestoreStatus, number>;
  /** True when every present interface is back to its recorded requested and active state. */
  ok: boolean;
}
