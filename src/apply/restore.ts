import type { KernelBackend } from '../kernel/types.js';
import type { FeatureMap } from '../model/types.js';
import { compareNatural } from '../model/natural-order.js';
import { readLive, setMany, type LiveInterface } from './execute.js';
import { recordedFeatures, type RecordedFeature } from './snapshot-codec.js';
import { journaledInterfaces } from './store.js';
import type { JournalEntry, RestoreReport, RestoreResult, RestoreStatus, Snapshot } from './types.js';

export interface RestoreOptions {
  concurrency?: number;
}

/**
 * Put every interface of a snapshot back to its recorded requested bits, then verify requested and
 * active bits with one dump.
 *
 * Why this is correct after a crash at any moment (SIGKILL, power loss) of `apply`:
 * - the snapshot is durable before apply's first change, and apply only ever changes requested bits
 *   of interfaces in the snapshot;
 * - restore does not trust the journal to know what changed: it compares each interface's current
 *   requested bits with the snapshot and sets back exactly the ones that differ. An interface apply
 *   never reached compares equal and is left alone; one it changed (fully, or half-way through a
 *   batch the journal never recorded) differs and goes back;
 * - active bits are a function of the requested bits (netdev_fix_features, and a bridge's ports via
 *   br_features_recompute), so once ports and masters have their requested bits back, the active
 *   bits return too. Ports are restored before their bridges, and verification comes after all;
 * - it is idempotent: a restore killed half-way is simply run again.
 * The journal only labels results (`journaled`) and tells `snapshots` the apply's fate.
 * Interfaces are found by ifindex (a device keeps it for life; names change): one renamed since
 * (or two names swapped) is restored under its new name and reported with `renamed`. A recorded
 * ifindex that is gone while its name is held by another device is a different device (a VM
 * restarted) and is left alone ('replaced'); one that is gone is reported 'vanished'. Neither is fatal.
 */
export async function restoreSnapshot(
  kernel: KernelBackend,
  snapshot: Snapshot,
  journal: readonly JournalEntry[],
  opts: RestoreOptions = {},
): Promise<RestoreReport> {
  const journaled = journaledInterfaces(journal);
  // Interfaces recorded alike (same bitmaps) and now alike (the dump's shared feature maps) give
  // the same answers: each distinct pair is worked out once (1000 veths: once, not 1000 times).
  const recorded = new RecordedLists(snapshot);
  const diff = new PairMemo((rec: readonly RecordedFeature[], features: FeatureMap) => {
    let set: Record<string, boolean> | null = null;
    for (const r of rec) {
      const st = features[r.name];
      if (st && !st.fixed && st.requested !== r.requested) (set ??= {})[r.name] = r.requested;
    }
    return set;
  });
  const check = new PairMemo((rec: readonly RecordedFeature[], features: FeatureMap) => {
    const wrong: string[] = [];
    const differs: string[] = [];
    for (const x of rec) {
      const st = features[x.name];
      if (!st) continue;
      if (st.requested !== x.requested) wrong.push(x.name);
      if (st.active !== x.active) differs.push(x.name);
    }
    return { wrong, differs };
  });
  const live = await readLive(kernel);
  // A device keeps its ifindex for life but not its name: find it by ifindex, then compare names.
  const byIndex = new Map<number, LiveInterface>();
  for (const l of live.values()) byIndex.set(l.ifindex, l);
  const results: RestoreResult[] = [];
  const todo: { stage: number; ifname: string; set: Record<string, boolean>; result: RestoreResult }[] = [];

  for (const s of snapshot.interfaces) {
    const cur = byIndex.get(s.ifindex);
    const base = { ifname: s.name, journaled: journaled.has(s.name) };
    if (!cur) {
      const other = live.get(s.name);
      if (other)
        results.push({
          ...base,
          status: 'replaced',
          error: `now ifindex ${other.ifindex}, was ${s.ifindex}: a different device`,
        });
      else results.push({ ...base, status: 'vanished' });
      continue;
    }
    // Renamed (`ip link set X name Y`, or two names swapped): the same device, restored under its new name.
    const renamed = cur.name !== s.name ? { renamed: cur.name } : {};
    const set = diff.get(recorded.get(s), cur.features);
    const result: RestoreResult = { ...base, ...renamed, status: set ? 'restored' : 'unchanged' };
    if (set) {
      result.set = set;
      todo.push({ stage: s.stage, ifname: cur.name, set, result });
    }
    results.push(result);
  }

  const stages = [...new Set(todo.map((t) => t.stage))].sort((a, b) => a - b);
  for (const stage of stages) {
    const items = todo.filter((t) => t.stage === stage);
    const outcomes = await setMany(kernel, items, { concurrency: opts.concurrency });
    outcomes.forEach((o, i) => {
      const r = items[i]!.result;
      if (o.ok) return;
      r.status = o.vanished ? 'vanished' : 'failed';
      if (!o.vanished) r.error = o.error;
    });
  }

  // Verify: requested bits as recorded; active bits as recorded (reported, they may have moved for
  // reasons outside offloadctl, such as a tap's owner changing its offloads).
  // One features dump, by ifindex (a device keeps its ifindex for life; names were checked above).
  const after = await kernel.dumpFeatures();
  const bySnap = new Map(snapshot.interfaces.map((s) => [s.name, s]));
  for (const r of results) {
    if (r.status !== 'restored' && r.status !== 'unchanged') continue;
    const s = bySnap.get(r.ifname)!;
    const features = after.get(s.ifindex);
    if (!features) {
      r.status = 'vanished';
      continue;
    }
    const { wrong, differs } = check.get(recorded.get(s), features);
    if (wrong.length) {
      r.status = 'failed';
      r.error = `requested still differs: ${wrong.join(', ')}`;
    }
    if (differs.length) r.activeDiffers = [...differs];
  }

  const counts: Record<RestoreStatus, number> = { restored: 0, unchanged: 0, vanished: 0, replaced: 0, failed: 0 };
  for (const r of results) counts[r.status]++;
  results.sort((a, b) => compareNatural(a.ifname, b.ifname));
  return {
    snapshot: snapshot.id,
    results,
    counts,
    ok: counts.failed === 0 && results.every((r) => !r.activeDiffers),
  };
}

/** The recorded features of each snapshot interface, one list per distinct triple of bitmaps. */
class RecordedLists {
  private readonly lists = new Map<string, Map<string, Map<string, RecordedFeature[]>>>();
  constructor(private readonly snapshot: Snapshot) {}
  get(s: Snapshot['interfaces'][number]): readonly RecordedFeature[] {
    let byReq = this.lists.get(s.recorded);
    if (!byReq) this.lists.set(s.recorded, (byReq = new Map()));
    let byAct = byReq.get(s.requested);
    if (!byAct) byReq.set(s.requested, (byAct = new Map()));
    let list = byAct.get(s.active);
    if (!list) byAct.set(s.active, (list = recordedFeatures(this.snapshot, s)));
    return list;
  }
}

/**
 * fn(list, features), remembered per (list, feature map) pair of objects. Only frozen maps (the
 * netlink dump's shared ones) are remembered: another map may be a fresh object each time.
 */
class PairMemo<T> {
  private readonly memo = new Map<object, WeakMap<FeatureMap, T>>();
  constructor(private readonly fn: (list: readonly RecordedFeature[], features: FeatureMap) => T) {}
  get(list: readonly RecordedFeature[], features: FeatureMap): T {
    if (!Object.isFrozen(features)) return this.fn(list, features);
    let byMap = this.memo.get(list);
    if (!byMap) this.memo.set(list, (byMap = new WeakMap()));
    if (byMap.has(features)) return byMap.get(features)!;
    const v = this.fn(list, features);
    byMap.set(features, v);
    return v;
  }
}
