import type { DesiredInterface, FeatureMap } from '../model/types.js';
import { KernelError } from '../kernel/types.js';
import { decide } from './reconcile.js';
import { forEachLimit } from './pool.js';
import { forget, round, type AgentContext, type SetAction } from './agent-context.js';
import { recordAction, scheduleRetry, writeSeries } from './findings-and-retries.js';

/**
 * Pipelined FEATURES_SETs without pre-read or reply (the planner already left fixed bits out),
 * then one verification read: a dump when the batch is a large part of the namespace, else GETs.
 */
export async function applyMany(ctx: AgentContext, sets: SetAction[], want: Map<number, DesiredInterface>): Promise<void> {
  const t0 = ctx.clock();
  const errs = await ctx.o.kernel.setFeaturesMany!(sets.map((s) => ({ ifname: s.name, changes: s.changes })));
  const t1 = ctx.clock();
  const done: SetAction[] = [];
  sets.forEach((s, i) => {
    const e = errs[i];
    if (e) setFailed(ctx, s, e);
    else done.push(s);
  });
  if (done.length === 0) return;
  const fresh = new Map<number, FeatureMap>();
  // a dump entry costs ~1/20 of a GET round trip
  if (done.length * 20 > ctx.links.size) {
    for (const [k, f] of await ctx.o.kernel.dumpFeatures()) fresh.set(k, f);
  } else {
    await forEachLimit(done, ctx.o.concurrency ?? 32, async (s) => {
      try {
        fresh.set(s.ifindex, await ctx.o.kernel.getFeatures(s.name));
      } catch (e) {
        if (!(e instanceof KernelError && e.code === 'not-found')) throw e;
      }
    });
  }
  const t2 = ctx.clock();
  for (const s of done) {
    const f = fresh.get(s.ifindex);
    if (!f) {
      forget(ctx, s.ifindex); // gone meanwhile
      continue;
    }
    if (ctx.links.has(s.ifindex)) ctx.features.set(s.ifindex, f);
    const notApplied = Object.entries(s.changes)
      .filter(([k, v]) => f[k] !== undefined && f[k]!.active !== v)
      .map(([k]) => k);
    finishSet(ctx, s, notApplied, want);
  }
  ctx.log('debug', 'sets', { n: sets.length, setMs: round(t1 - t0), verifyMs: round(t2 - t1), finishMs: round(ctx.clock() - t2), viaDump: done.length * 20 > ctx.links.size });
}

function setFailed(ctx: AgentContext, s: SetAction, e: unknown): void {
  const t = ctx.tracked.get(s.ifindex);
  if (!t) return;
  if (e instanceof KernelError && e.code === 'not-found') {
    forget(ctx, s.ifindex);
    return;
  }
  const msg = (e as Error).message;
  ctx.metrics.failure(e instanceof KernelError ? e.code : 'error');
  ctx.log('error', 'enforce failed', { interface: s.name, ifindex: s.ifindex, changes: s.changes, reason: s.reason, attempt: s.attempt, error: msg });
  ctx.events.push({ action: 'enforce-failed', interface: s.name, ifindex: s.ifindex, changes: s.changes, error: msg, attempt: s.attempt });
  scheduleRetry(ctx, s.ifindex, t.history.retryAt);
}

/** One set with the backend's setFeatures (its reply tells what did not apply). */
export async function applySet(ctx: AgentContext, s: SetAction, want: Map<number, DesiredInterface>): Promise<void> {
  if (!ctx.tracked.get(s.ifindex)) return;
  let notApplied: string[];
  try {
    notApplied = (await ctx.o.kernel.setFeatures(s.name, s.changes)).notApplied;
  } catch (e) {
    setFailed(ctx, s, e);
    return;
  }
  // The set reply says which asked-for bits did not end active as asked; the rest are.
  const cur = ctx.features.get(s.ifindex);
  if (cur) {
    const next: FeatureMap = { ...cur };
    for (const [k, v] of Object.entries(s.changes)) {
      const st = next[k];
      if (st) next[k] = { ...st, requested: v, active: notApplied.includes(k) ? st.active : v };
    }
    ctx.features.set(s.ifindex, next);
  }
  finishSet(ctx, s, notApplied, want);
}

/** Verified: compliant (delay sample, log) or not applied (re-read, back-off). */
function finishSet(ctx: AgentContext, s: SetAction, notApplied: string[], want: Map<number, DesiredInterface>): void {
  const t = ctx.tracked.get(s.ifindex);
  if (!t) return;
  if (notApplied.length > 0) {
    ctx.metrics.failure('not-applied');
    ctx.log('warn', 'enforce not applied', { interface: s.name, ifindex: s.ifindex, changes: s.changes, notApplied, reason: s.reason, attempt: s.attempt });
    ctx.events.push({ action: 'not-applied', interface: s.name, ifindex: s.ifindex, notApplied, attempt: s.attempt });
    // re-read: the next decide tells held (a dependency / the tap's owner) from not sticking
    ctx.unknownFeatures.add(s.ifindex);
    scheduleRetry(ctx, s.ifindex, t.history.retryAt);
    ctx.queue.mark(s.ifindex);
    return;
  }
  const iface = t.iface ? { ...t.iface, features: ctx.features.get(s.ifindex) ?? t.iface.features } : null;
  let delayMs: number | null = null;
  if (iface) {
    const d = want.get(s.ifindex) ?? null;
    const r = decide(iface, d, t.history, ctx.mode, ctx.clock(), ctx.backoff, ctx.masters.has(s.ifindex));
    t.history = r.history;
    t.iface = iface;
    for (const a of r.actions) {
      if (a.kind === 'compliant') delayMs = a.delayMs;
      if (a.kind !== 'set') recordAction(ctx, a, t, true);
    }
    writeSeries(ctx, t, d);
  }
  logEnforced(ctx, s, delayMs);
}

/** One log line and one /api/events entry per verified enforcement (batch and fast path alike). */
export function logEnforced(ctx: AgentContext, s: SetAction, delayMs: number | null): void {
  ctx.log('info', 'enforce', {
    interface: s.name,
    ifindex: s.ifindex,
    changes: s.changes,
    reason: s.reason,
    attempt: s.attempt,
    ...(delayMs !== null ? { delayMs: Math.round(delayMs * 1000) / 1000 } : {}),
  });
  ctx.events.push({ action: 'enforce', interface: s.name, ifindex: s.ifindex, changes: s.changes, reason: s.reason, attempt: s.attempt, delayMs });
}
