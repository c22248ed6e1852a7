import type { FeatureMap, LinkInfo } from '../model/types.js';
import { buildObservation } from '../host/observe.js';
import { resolvePolicy } from '../policy/resolve.js';
import { decide } from './reconcile.js';
import type { Batch } from './queue.js';
import { forEachLimit } from './pool.js';
import { recordFirstChanges, round, type AgentContext, type SetAction } from './agent-context.js';
import { fullRefresh, refreshDrivers, refreshUnknown } from './kernel-refresh.js';
import { policyUsesDriver, policyUsesVm } from './policy-needs.js';
import { applyMany, applySet } from './enforce.js';
import { recordAction, scheduleRetry, updateStateCounts, writeSeries } from './findings-and-retries.js';
import { sameFeatures } from './same-features.js';

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
    keys = [...ctx.links.keys()];
  } else {
    keys = b.keys.filter((k) => ctx.links.has(k));
    await refreshUnknown(ctx, keys);
  }
  // links the fast path has right now are its own; they are marked again when it is done
  if (ctx.fast.size > 0) {
    keys = keys.filter((k) => {
      if (!ctx.fast.has(k)) return true;
      ctx.fastSkipped.add(k);
      return false;
    });
  }
  const tRefreshed = ctx.clock();
  if (policyUsesDriver(ctx.policy)) await refreshDrivers(ctx, keys);
  await reconcileKeys(ctx, keys);
  updateStateCounts(ctx);
  ctx.log('debug', 'batch', { keys: keys.length, full: b.full, refreshMs: round(tRefreshed - t0), totalMs: round(ctx.clock() - t0) });
}

/** observe (slice) → desire → decide → apply → verify, for `keys`. */
async function reconcileKeys(ctx: AgentContext, keys: number[]): Promise<void> {
  if (keys.length === 0) return;
  const slice: LinkInfo[] = [];
  const inSlice = new Set<number>();
  const add = (k: number) => {
    const l = ctx.links.get(k);
    if (l && !inSlice.has(k)) {
      inSlice.add(k);
      slice.push(l);
    }
  };
  for (const k of keys) {
    add(k);
    const m = ctx.links.get(k)?.masterIndex;
    if (m !== null && m !== undefined) add(m); // the master's kind decides the role of a port
  }
  const features = new Map<number, FeatureMap>();
  for (const k of keys) {
    const f = ctx.features.get(k);
    if (f) features.set(k, f);
  }
  const obs = buildObservation({
    links: slice,
    features,
    drivers: ctx.drivers,
    vmIndex: policyUsesVm(ctx.policy) ? ctx.vmIndex.get(slice.map((l) => l.name)) : undefined,
    backend: ctx.o.kernel.name,
  });
  const desired = resolvePolicy(ctx.policy, obs);
  const want = new Map(desired.interfaces.map((d) => [d.ifindex, d]));
  const masters = new Set<number>();
  for (const l of ctx.links.values()) if (l.masterIndex !== null) masters.add(l.masterIndex);
  ctx.masters = masters;

  const sets: SetAction[] = [];
  const now = ctx.clock();
  for (const iface of obs.interfaces) {
    const t = ctx.tracked.get(iface.ifindex);
    if (!t) continue;
    const d = want.get(iface.ifindex) ?? null;
    const r = decide(iface, d, t.history, ctx.mode, now, ctx.backoff, masters.has(iface.ifindex));
    t.history = r.history;
    t.iface = iface;
    t.managed = d !== null;
    for (const a of r.actions) {
      if (a.kind === 'set') sets.push(a);
      else recordAction(ctx, a, t);
    }
    writeSeries(ctx, t, d);
  }
  if (sets.length === 0) return;
  const byIndex = new Map(obs.interfaces.map((i) => [i.ifindex, i]));
  const firsts = sets.map((s) => {
    const iface = byIndex.get(s.ifindex)!;
    return { iface, features: ctx.features.get(s.ifindex) ?? iface.features, stage: masters.has(s.ifindex) ? 1 : 0 };
  });
  if (!recordFirstChanges(ctx, firsts)) {
    for (const s of sets) scheduleRetry(ctx, s.ifindex, ctx.tracked.get(s.ifindex)?.history.retryAt ?? null);
    return;
  }
  ctx.o.journal?.record(
    sets.map((s) => {
      const f = ctx.features.get(s.ifindex) ?? {};
      const before: Record<string, boolean> = {};
      for (const k of Object.keys(s.changes)) before[k] = f[k]?.requested ?? false;
      return { ifindex: s.ifindex, ifname: s.name, reason: s.reason, before, after: s.changes };
    }),
  );
  for (const s of sets) {
    ctx.metrics.enforcement(s.reason);
    ctx.inflight.add(s.ifindex);
  }
  try {
    if (ctx.o.kernel.setFeaturesMany) await applyMany(ctx, sets, want);
    else await forEachLimit(sets, ctx.o.concurrency ?? 32, (s) => applySet(ctx, s, want));
  } finally {
    for (const s of sets) {
      ctx.inflight.delete(s.ifindex);
      const n = ctx.deferred.get(s.ifindex);
      if (!n) continue;
      ctx.deferred.delete(s.ifindex);
      const cur = ctx.features.get(s.ifindex);
      if (ctx.links.has(s.ifindex) && !(cur && sameFeatures(cur, n))) {
        // which of the two is newer is unknowable: read again
        ctx.unknownFeatures.add(s.ifindex);
        ctx.queue.mark(s.ifindex);
      }
    }
  }
}
