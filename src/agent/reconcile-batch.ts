import type { FeatureMap, LinkInfo } from '../model/types.js';
import { buildObservation } from '../host/observe.js';
import { resolvePolicy } from '../policy/resolve.js';
import { decide } from './reconcile.js';
import type { Batch } from './queue.js';
import { recordFirstChanges, round, type AgentContext, type SetAction } from './agent-context.js';
import { fullRefresh, refreshDrivers, refreshUnknown } from './kernel-refresh.js';
import { policyUsesDriver, policyUsesVm } from './policy-needs.js';
import { afterSet, applySets } from './enforce.js';
import { recordAction, scheduleRetry, updateStateCounts, writeSeries } from './findings-and-retries.js';

/** One batch of the work queue: refresh from the kernel (all, or what is unknown), then reconcile. */
export async function runBatch(ctx: AgentContext, b: Batch<number>): Promise<void> {
  const t0 = ctx.clock();
  ctx.metrics.batch();
  let keys: number[];
  if (b.full) {
    const triggers = [...ctx.pendingTriggers];
    ctx.pendingTriggers.clear();
    for (const t of triggers) ctx.metrics.resync(t);
    await fullRefresh(ctx, triggers);
    keys = [...ctx.cache.links.keys()];
  } else {
    keys = b.keys.filter((k) => ctx.cache.links.has(k));
    await refreshUnknown(ctx, keys);
  }
  // links the fast path has right now are its own; they are marked again when it is done
  if (ctx.fastPath.active.size > 0) {
    keys = keys.filter((k) => {
      if (!ctx.fastPath.active.has(k)) return true;
      ctx.fastPath.skipped.add(k);
      return false;
    });
  }
  const tRefreshed = ctx.clock();
  if (policyUsesDriver(ctx.policy)) await refreshDrivers(ctx, keys);
  await reconcileKeys(ctx, keys);
  updateStateCounts(ctx);
  ctx.log('debug', 'batch', {
    keys: keys.length,
    full: b.full,
    refreshMs: round(tRefreshed - t0),
    totalMs: round(ctx.clock() - t0),
  });
}

/** observe (slice) → desire → decide → apply → verify, for `keys`. */
async function reconcileKeys(ctx: AgentContext, keys: number[]): Promise<void> {
  if (keys.length === 0) return;
  const slice: LinkInfo[] = [];
  const inSlice = new Set<number>();
  const add = (k: number) => {
    const l = ctx.cache.links.get(k);
    if (l && !inSlice.has(k)) {
      inSlice.add(k);
      slice.push(l);
    }
  };
  for (const k of keys) {
    add(k);
    const m = ctx.cache.links.get(k)?.masterIndex;
    if (m !== null && m !== undefined) add(m); // the master's kind decides the role of a port
  }
  const features = new Map<number, FeatureMap>();
  for (const k of keys) {
    const f = ctx.cache.features.get(k);
    if (f) features.set(k, f);
  }
  const obs = buildObservation({
    links: slice,
    features,
    drivers: ctx.cache.drivers,
    vmIndex: policyUsesVm(ctx.policy) ? ctx.vmIndex.get(slice.map((l) => l.name)) : undefined,
    backend: ctx.options.kernel.name,
    ovs: ctx.ovs?.topology,
  });
  const desired = resolvePolicy(ctx.policy, obs);
  const want = new Map(desired.interfaces.map((d) => [d.ifindex, d]));
  const masters = new Set<number>();
  for (const l of ctx.cache.links.values()) if (l.masterIndex !== null) masters.add(l.masterIndex);
  ctx.cache.masters = masters;

  const sets: SetAction[] = [];
  const now = ctx.clock();
  for (const iface of obs.interfaces) {
    const tracked = ctx.tracked.get(iface.ifindex);
    if (!tracked) continue;
    const d = want.get(iface.ifindex) ?? null;
    const r = decide(iface, d, tracked.history, ctx.mode, now, ctx.backoff, masters.has(iface.ifindex));
    tracked.history = r.history;
    tracked.iface = iface;
    tracked.managed = d !== null;
    for (const a of r.actions) {
      if (a.kind === 'set') sets.push(a);
      else recordAction(ctx, a, tracked);
    }
    writeSeries(ctx, tracked, d);
  }
  if (sets.length === 0) return;
  const byIndex = new Map(obs.interfaces.map((i) => [i.ifindex, i]));
  const firsts = sets.map((s) => {
    const iface = byIndex.get(s.ifindex)!;
    return {
      iface,
      features: ctx.cache.features.get(s.ifindex) ?? iface.features,
      stage: masters.has(s.ifindex) ? 1 : 0,
    };
  });
  if (!recordFirstChanges(ctx, firsts)) {
    for (const s of sets) scheduleRetry(ctx, s.ifindex, ctx.tracked.get(s.ifindex)?.history.retryAt ?? null);
    return;
  }
  ctx.options.journal?.record(
    sets.map((s) => {
      const f = ctx.cache.features.get(s.ifindex) ?? {};
      const before: Record<string, boolean> = {};
      for (const k of Object.keys(s.changes)) before[k] = f[k]?.requested ?? false;
      return { ifindex: s.ifindex, ifname: s.name, reason: s.reason, before, after: s.changes };
    }),
  );
  for (const s of sets) {
    ctx.metrics.enforcement(s.reason);
    ctx.inflight.begin(s.ifindex);
  }
  try {
    await applySets(ctx, sets, want);
  } finally {
    for (const s of sets) afterSet(ctx, s.ifindex);
  }
}
