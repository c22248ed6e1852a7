import type { DesiredInterface, FeatureMap } from '../model/types.js';
import { KernelError } from '../kernel/types.js';
import { setMany, type SetOutcome } from '../apply/execute.js';
import { decide } from './reconcile.js';
import { unverified } from '../plan/verify.js';
import { forEachLimit } from './pool.js';
import { forget, round, type AgentContext, type SetAction } from './agent-context.js';
import { recordAction, scheduleRetry, writeSeries } from './findings-and-retries.js';
import { sameFeatures } from './same-features.js';

/**
 * The batch path's set → verify, as apply runs them: apply's setMany (pipelined FEATURES_SETs
 * without pre-read or reply when the backend has them, the planner already left fixed bits out;
 * else setFeatures with bounded concurrency, each with its reply), then the state after the sets —
 * from the replies, or one read back (a dump when the batch is a large part of the namespace, else
 * GETs) — judged by the one definition of verified (plan/verify.ts).
 */
export async function applySets(
  ctx: AgentContext,
  sets: SetAction[],
  want: Map<number, DesiredInterface>,
): Promise<void> {
  const kernel = ctx.options.kernel;
  const t0 = ctx.clock();
  let outcomes: SetOutcome[];
  try {
    outcomes = await setMany(
      kernel,
      sets.map((s) => ({ ifname: s.name, set: s.changes })),
    );
  } catch (e) {
    // setMany's only throw: no permission (CAP_NET_ADMIN) — every set of the batch failed
    for (const s of sets) setFailed(ctx, s, 'permission-denied', (e as Error).message);
    return;
  }
  const t1 = ctx.clock();
  const done: SetAction[] = [];
  const notAppliedBy = new Map<SetAction, string[]>();
  sets.forEach((s, i) => {
    const o = outcomes[i]!;
    if (o.ok) {
      done.push(s);
      notAppliedBy.set(s, o.notApplied);
    } else if (o.vanished) forget(ctx, s.ifindex);
    else setFailed(ctx, s, o.code, o.error);
  });
  if (done.length === 0) return;
  if (!kernel.setFeaturesMany) {
    // setFeatures answered each set with the kernel's reply (which asked-for bits did not end
    // active as asked): the state after it is known without reading again
    for (const s of done) {
      const notApplied = notAppliedBy.get(s)!;
      const cur = ctx.cache.features.get(s.ifindex);
      if (!cur) {
        finishSet(ctx, s, notApplied, want);
        continue;
      }
      const next: FeatureMap = { ...cur };
      for (const [k, v] of Object.entries(s.changes)) {
        const st = next[k];
        if (st && !st.fixed) next[k] = { ...st, requested: v, active: notApplied.includes(k) ? st.active : v };
      }
      ctx.cache.features.set(s.ifindex, next);
      finishSet(ctx, s, unverified(s.changes, next), want);
    }
    return;
  }
  const fresh = new Map<number, FeatureMap>();
  // a dump entry costs ~1/20 of a GET round trip
  const viaDump = done.length * 20 > ctx.cache.links.size;
  if (viaDump) {
    for (const [k, f] of await kernel.dumpFeatures()) fresh.set(k, f);
  } else {
    await forEachLimit(done, ctx.options.concurrency ?? 32, async (s) => {
      try {
        fresh.set(s.ifindex, await kernel.getFeatures(s.name));
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
    if (ctx.cache.links.has(s.ifindex)) ctx.cache.features.set(s.ifindex, f);
    finishSet(ctx, s, unverified(s.changes, f), want);
  }
  ctx.log('debug', 'sets', {
    n: sets.length,
    setMs: round(t1 - t0),
    verifyMs: round(t2 - t1),
    finishMs: round(ctx.clock() - t2),
    viaDump,
  });
}

function setFailed(ctx: AgentContext, s: SetAction, code: string, msg: string): void {
  const tracked = ctx.tracked.get(s.ifindex);
  if (!tracked) return;
  ctx.metrics.failure(code);
  ctx.log('error', 'enforce failed', {
    interface: s.name,
    ifindex: s.ifindex,
    changes: s.changes,
    reason: s.reason,
    attempt: s.attempt,
    error: msg,
  });
  ctx.events.push({
    action: 'enforce-failed',
    interface: s.name,
    ifindex: s.ifindex,
    changes: s.changes,
    error: msg,
    attempt: s.attempt,
  });
  scheduleRetry(ctx, s.ifindex, tracked.history.retryAt);
}

/**
 * After the set, by the one definition of verified (plan/verify.ts): compliant or a finding of
 * decide (delay sample, log), or not applied (re-read, back-off). A feature set on that the kernel
 * holds off verifies: decide reports it (held, or negotiated by the guest).
 */
function finishSet(ctx: AgentContext, s: SetAction, notApplied: string[], want: Map<number, DesiredInterface>): void {
  const tracked = ctx.tracked.get(s.ifindex);
  if (!tracked) return;
  if (notApplied.length > 0) {
    ctx.metrics.failure('not-applied');
    ctx.log('warn', 'enforce not applied', {
      interface: s.name,
      ifindex: s.ifindex,
      changes: s.changes,
      notApplied,
      reason: s.reason,
      attempt: s.attempt,
    });
    ctx.events.push({ action: 'not-applied', interface: s.name, ifindex: s.ifindex, notApplied, attempt: s.attempt });
    // re-read: the next decide tells held (a dependency / the tap's owner) from not sticking
    ctx.cache.unknownFeatures.add(s.ifindex);
    scheduleRetry(ctx, s.ifindex, tracked.history.retryAt);
    ctx.queue.mark(s.ifindex);
    return;
  }
  const iface = tracked.iface
    ? { ...tracked.iface, features: ctx.cache.features.get(s.ifindex) ?? tracked.iface.features }
    : null;
  let delayMs: number | null = null;
  if (iface) {
    const d = want.get(s.ifindex) ?? null;
    const r = decide(iface, d, tracked.history, ctx.mode, ctx.clock(), ctx.backoff, ctx.cache.masters.has(s.ifindex));
    tracked.history = r.history;
    tracked.iface = iface;
    for (const a of r.actions) {
      if (a.kind === 'compliant') delayMs = a.delayMs;
      if (a.kind !== 'set') recordAction(ctx, a, tracked, true);
    }
    writeSeries(ctx, tracked, d);
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
  ctx.events.push({
    action: 'enforce',
    interface: s.name,
    ifindex: s.ifindex,
    changes: s.changes,
    reason: s.reason,
    attempt: s.attempt,
    delayMs,
  });
}

/**
 * A set is answered (batch and fast path alike): a feature notification that came meanwhile and
 * differs from what the verification read is looked at again (which of the two is newer is
 * unknowable: read again). Links the fast path still has are its own.
 */
export function afterSet(ctx: AgentContext, ifindex: number): void {
  const n = ctx.inflight.end(ifindex);
  if (!n) return;
  const cur = ctx.cache.features.get(ifindex);
  if (ctx.cache.links.has(ifindex) && !ctx.fastPath.active.has(ifindex) && !(cur && sameFeatures(cur, n))) {
    ctx.cache.unknownFeatures.add(ifindex);
    ctx.queue.mark(ifindex);
  }
}
