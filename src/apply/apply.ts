import type { Desired, DesiredInterface, FeatureMap, Interface, Observation } from '../model/types.js';
import { KernelError, type KernelBackend } from '../kernel/types.js';
import { OffloadError } from '../model/errors.js';
import { compareNatural } from '../model/natural-order.js';
import { computeStages, planInterface } from '../plan/plan.js';
import { guestHeldFeatures, isGuestTap } from '../plan/held-by-guest.js';
import type { Plan, PlannedChange } from '../plan/types.js';
import { verify } from '../plan/verify.js';
import { BATCH_SIZE, chunks, setMany, type SetOutcome } from './execute.js';
import { restoreSnapshot } from './restore.js';
import { SNAPSHOT_FORMAT, SnapshotRecorder } from './snapshot-codec.js';
import { SnapshotStore, currentNetns, type Journal, type NetnsIdentity } from './store.js';
import { stateFsError } from './state-dir.js';
import { undoCommand } from './undo-hint.js';
import type {
  ApplyReport,
  ApplyResult,
  ApplyStatus,
  JournalEntry,
  RestoreReport,
  Snapshot,
  SnapshotInterface,
} from './types.js';

export interface ApplyOptions {
  /** The caller holds its lock (store.lock()), taken BEFORE the host was observed. */
  store: SnapshotStore;
  /** Do not roll back when something failed. */
  keepGoing?: boolean;
  /** Network namespace recorded in the snapshot (restore refuses another one). */
  netns?: NetnsIdentity;
  concurrency?: number;
  batchSize?: number;
  /**
   * Progress: called with 0 once the snapshot is on disk, then with the number of interfaces whose
   * SET returned (the CLI's test hook OFFLOADCTL_TEST_KILL_AFTER uses it to SIGKILL itself).
   */
  onProgress?: (done: number) => void;
  now?: () => Date;
}

/**
 * Apply a plan: snapshot (durable) → per stage: journal intent (fsync) → FEATURES_SET in bounded
 * parallel batches → journal done; bridges/bonds in later stages are re-planned from a fresh dump
 * after their ports changed (br_features_recompute) → one dump to verify → roll back on failure
 * unless keepGoing.
 *
 * Crash safety does not depend on the journal: the snapshot holds the requested bits of every
 * interface apply may touch, and it is on disk before the first change. See restore.ts.
 */
export async function applyPlan(
  kernel: KernelBackend,
  observation: Observation,
  desired: Desired,
  plan: Plan,
  opts: ApplyOptions,
): Promise<ApplyReport> {
  const counts = (): Record<ApplyStatus, number> => ({ changed: 0, compliant: 0, failed: 0, vanished: 0 });
  const results = new Map<string, ApplyResult>();
  for (const name of plan.compliant) results.set(name, { ifname: name, status: 'compliant' });
  if (plan.changes.length === 0) {
    return finish({
      policy: plan.policy,
      snapshot: null,
      status: 'nothing-to-do',
      results: [...results.values()],
      skipped: plan.skipped,
      rollback: null,
      counts: counts(),
      heldByGuest: heldByGuest(observation, desired, null),
    });
  }

  const byName = new Map(observation.interfaces.map((i) => [i.name, i]));
  const desiredByName = new Map(desired.interfaces.map((d) => [d.name, d]));
  const t0 = performance.now();
  const ms = () => Math.round((performance.now() - t0) * 10) / 10;
  const timings: Record<string, number> = {};
  const snapshot = buildSnapshot(observation, desired, plan, opts);
  let journal: Journal;
  try {
    journal = opts.store.create(snapshot);
  } catch (e) {
    if (e instanceof OffloadError)
      throw new OffloadError(e.category, `${e.message}; no snapshot, nothing was changed`, e.detail);
    throw e;
  }
  timings.snapshot = ms();
  // A journal write that fails (full disk) stops the apply: everything changed so far is rolled
  // back from the snapshot in memory (stateWriteFailed below).
  const record = (entry: JournalEntry) => {
    try {
      journal.append(entry);
    } catch (e) {
      throw new StateWriteError(e);
    }
  };
  opts.onProgress?.(0);

  let failed = false;
  let done = 0;
  try {
    const stages = [...new Set(snapshot.interfaces.map((s) => s.stage))].sort((a, b) => a - b);
    let live: Map<number, FeatureMap>;
    for (const stage of stages) {
      if (failed && !opts.keepGoing) break;
      let changes: PlannedChange[];
      if (stage === 0) changes = plan.changes.filter((c) => c.stage === 0);
      else {
        // Ports changed: the kernel recomputed these masters' features. Plan them from fresh state
        // (one features dump, by ifindex: a device keeps its ifindex for life).
        live = await kernel.dumpFeatures();
        changes = replanStage(stage, snapshot, byName, desiredByName, live, results);
      }
      for (const batch of chunks(changes, opts.batchSize ?? BATCH_SIZE)) {
        if (failed && !opts.keepGoing) break;
        record({ op: 'intent', at: now(opts), stage, ifaces: batch.map((c) => c.ifname) });
        const outcomes = await setMany(kernel, batch, {
          concurrency: opts.concurrency,
          onDone: () => opts.onProgress?.(++done),
        });
        recordOutcomes(batch, outcomes, results);
        record({
          op: 'done',
          at: now(opts),
          changed: outcomes.filter((o) => o.ok).map((o) => o.ifname),
          failed: outcomes.filter((o) => !o.ok && !o.vanished).map((o) => o.ifname),
          vanished: outcomes.filter((o) => !o.ok && o.vanished).map((o) => o.ifname),
        });
        if (outcomes.some((o) => !o.ok && !o.vanished)) failed = true;
      }
    }

    // Verify with one dump: requested bits as set; features set off are off.
    timings.set = ms();
    live = await kernel.dumpFeatures();
    // plan() shares `set` among interfaces planned alike and the dump shares feature maps: each
    // distinct (set, frozen map) pair is verified once
    const verified = new Map<object, WeakMap<FeatureMap, string[]>>();
    for (const r of results.values()) {
      if (r.status !== 'changed') continue;
      const features = live.get(byName.get(r.ifname)!.ifindex);
      if (!features) {
        r.status = 'vanished';
        continue;
      }
      let byMap = verified.get(r.set!);
      if (!byMap) verified.set(r.set!, (byMap = new WeakMap()));
      let problems = byMap.get(features);
      if (!problems) {
        problems = verify(r.set!, { features });
        if (Object.isFrozen(features)) byMap.set(features, problems);
      }
      if (problems.length) {
        r.status = 'failed';
        r.error = `verification: ${problems.join('; ')}`;
        failed = true;
      }
    }

    timings.verify = ms();
    const held = heldByGuest(observation, desired, live);
    let rollback = null;
    let status: ApplyReport['status'] = failed ? 'partial' : 'applied';
    if (failed && !opts.keepGoing) {
      // Same diff-based restore as after a crash: whatever differs from the snapshot goes back.
      rollback = await restoreSnapshot(kernel, snapshot, opts.store.entries(snapshot.id), {
        concurrency: opts.concurrency,
      });
      status = 'rolled-back';
      timings.rollback = ms();
    }
    record({ op: 'end', at: now(opts), status });
    timings.total = ms();
    return finish({
      timings,
      policy: plan.policy,
      snapshot: snapshot.id,
      status,
      results: [...results.values()],
      skipped: plan.skipped,
      rollback,
      counts: counts(),
      heldByGuest: held,
    });
  } catch (e) {
    if (e instanceof StateWriteError) throw await stateWriteFailed(kernel, snapshot, journal, e, opts);
    // Stopped part-way (kernel error): the snapshot is on disk, the journal has no end
    // (status "interrupted"). Say how to undo; the CLI prints the message.
    const hint = `; apply stopped part-way: undo with \`${undoCommand(snapshot, opts.store.stateDir)}\``;
    if (e instanceof OffloadError) throw new OffloadError(e.category, e.message + hint, e.detail);
    if (e instanceof KernelError) e.message += hint;
    throw e;
  } finally {
    journal.close();
  }
}

/** A write to the state directory failed during apply (ENOSPC, EIO ...). */
class StateWriteError extends Error {
  constructor(override readonly cause: unknown) {
    super((cause as Error)?.message ?? String(cause));
  }
}

/**
 * The journal could not be written (typically a full disk): roll back every change from the
 * snapshot in memory (the same diff-based restore as after a crash; it needs no disk), try to
 * record that, and return the one-line error the CLI prints (exit 3).
 */
async function stateWriteFailed(
  kernel: KernelBackend,
  snapshot: Snapshot,
  journal: Journal,
  e: StateWriteError,
  opts: ApplyOptions,
): Promise<OffloadError> {
  const why = stateFsError(e.cause, opts.store.dir).message;
  let rollback: RestoreReport | null = null;
  let rollbackError = '';
  try {
    rollback = await restoreSnapshot(kernel, snapshot, [], { concurrency: opts.concurrency });
  } catch (err) {
    rollbackError = (err as Error).message;
  }
  let recorded = true;
  try {
    journal.append({ op: 'end', at: now(opts), status: 'rolled-back' });
  } catch {
    recorded = false; // still full: snapshots lists it as interrupted; restoring it is harmless
  }
  const undo = undoCommand(snapshot, opts.store.stateDir);
  if (rollback && rollback.counts.failed === 0) {
    return new OffloadError(
      'system',
      `${why}; apply stopped and rolled back: ${rollback.counts.restored} interface${rollback.counts.restored === 1 ? '' : 's'} ` +
        `restored from the snapshot in memory and verified, nothing is left changed` +
        (recorded ? '' : ` (snapshot ${snapshot.id} stays listed as interrupted; \`${undo}\` is harmless)`),
      { code: (e.cause as NodeJS.ErrnoException)?.code, snapshot: snapshot.id, rollback },
    );
  }
  const failed = rollback
    ? `${rollback.counts.failed} interface(s) failed to roll back`
    : `rollback failed: ${rollbackError}`;
  return new OffloadError('system', `${why}; apply stopped, ${failed}: undo with \`${undo}\``, {
    code: (e.cause as NodeJS.ErrnoException)?.code,
    snapshot: snapshot.id,
    rollback,
  });
}

/** Per interface, the wanted-on features its guest holds off, in `live` (null: as observed). */
function heldByGuest(
  observation: Observation,
  desired: Desired,
  live: Map<number, FeatureMap> | null,
): { ifname: string; features: string[] }[] {
  const byIndex = new Map(observation.interfaces.map((i) => [i.ifindex, i]));
  const out: { ifname: string; features: string[] }[] = [];
  for (const d of desired.interfaces) {
    const i = byIndex.get(d.ifindex);
    const features = live ? live.get(d.ifindex) : i?.features;
    if (!i || !features || !isGuestTap(i)) continue; // (guestHeldFeatures: [] for any other)
    const held = guestHeldFeatures({ ...i, features }, d.features);
    if (held.length) out.push({ ifname: i.name, features: held });
  }
  return out.sort((a, b) => compareNatural(a.ifname, b.ifname));
}

function finish(r: ApplyReport): ApplyReport {
  for (const x of r.results) r.counts[x.status]++;
  r.results.sort((a, b) => compareNatural(a.ifname, b.ifname));
  return r;
}

function now(opts: ApplyOptions): string {
  return (opts.now?.() ?? new Date()).toISOString();
}

/**
 * The snapshot covers every interface the plan changes, plus every bridge/bond above them (their
 * active features follow their ports; a later stage may also change them after re-planning).
 */
export function buildSnapshot(observation: Observation, desired: Desired, plan: Plan, opts: ApplyOptions): Snapshot {
  const byName = new Map(observation.interfaces.map((i) => [i.name, i]));
  // Desired masters of a later stage are re-planned after their ports: record them all.
  const stages = computeStages(observation.interfaces);
  const stageOf = new Map(plan.changes.map((c) => [c.ifname, c.stage]));
  const include = new Map<string, number>(stageOf);
  for (const d of desired.interfaces) {
    const st = stages.get(d.name) ?? 0;
    if (st > 0 && byName.has(d.name)) include.set(d.name, Math.max(st, include.get(d.name) ?? 0));
  }
  // Masters above changed interfaces, and desired masters (re-planned in their stage).
  for (const c of plan.changes) {
    let m = byName.get(c.ifname)?.master ?? null;
    let s = c.stage;
    for (let depth = 0; m && byName.has(m) && depth < 16; depth++) {
      s = Math.max(s + 1, include.get(m) ?? 0);
      include.set(m, s);
      m = byName.get(m)!.master;
    }
  }
  const recorder = new SnapshotRecorder();
  const interfaces: SnapshotInterface[] = [];
  for (const [name, stage] of include) {
    // A master outside the policy is recorded too: restore verifies its active state.
    const i = byName.get(name)!;
    interfaces.push(recorder.record(i, i.features, stage));
  }
  recorder.finish(interfaces);
  interfaces.sort((a, b) => a.stage - b.stage || a.ifindex - b.ifindex);
  const createdAt = opts.now?.() ?? new Date();
  const ns = opts.netns ?? currentNetns();
  return {
    version: SNAPSHOT_FORMAT,
    id: SnapshotStore.newId(createdAt),
    createdAt: createdAt.toISOString(),
    policy: plan.policy,
    netns: ns.name,
    netnsId: ns.id,
    netnsHost: ns.host,
    features: recorder.features,
    interfaces,
  };
}

/** Re-plan the masters of one stage from the live state (after their ports changed). */
function replanStage(
  stage: number,
  snapshot: Snapshot,
  byName: Map<string, Interface>,
  desiredByName: Map<string, DesiredInterface>,
  live: Map<number, FeatureMap>,
  results: Map<string, ApplyResult>,
): PlannedChange[] {
  const out: PlannedChange[] = [];
  for (const s of snapshot.interfaces) {
    if (s.stage !== stage) continue;
    const d = desiredByName.get(s.name);
    const obs = byName.get(s.name)!;
    const features = live.get(s.ifindex);
    if (!features) {
      if (d) results.set(s.name, { ifname: s.name, status: 'vanished' });
      continue;
    }
    if (!d) continue; // not in the policy: recorded for verification/restore only
    const { change } = planInterface({ ...obs, features }, d, stage);
    if (change) out.push(change);
    else if (!results.has(s.name)) results.set(s.name, { ifname: s.name, status: 'compliant' });
  }
  return out;
}

function recordOutcomes(
  batch: readonly PlannedChange[],
  outcomes: readonly SetOutcome[],
  results: Map<string, ApplyResult>,
): void {
  batch.forEach((c, i) => {
    const o = outcomes[i]!;
    const warnings = c.warnings.length ? [...c.warnings] : undefined;
    if (o.ok)
      results.set(c.ifname, { ifname: c.ifname, status: 'changed', set: c.set, ...(warnings ? { warnings } : {}) });
    else if (o.vanished) results.set(c.ifname, { ifname: c.ifname, status: 'vanished', set: c.set });
    else results.set(c.ifname, { ifname: c.ifname, status: 'failed', set: c.set, error: o.error });
  });
}

export { verify } from '../plan/verify.js';
