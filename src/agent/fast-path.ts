import type { DesiredInterface, FeatureMap, Interface, LinkInfo } from '../model/types.js';
import { KernelError, type FeatureChannel, type SetReply } from '../kernel/types.js';
import { decide, type History } from './reconcile.js';
import { recordFirstChanges, round, type AgentContext, type SetAction, type Tracked } from './agent-context.js';
import { linkChanged } from './link-cache.js';
import { policyUsesDriver } from './policy-needs.js';
import { noteTemplate, templateKey } from './templates.js';
import { planFor, stateAfter, type FastPlan } from './fast-plan.js';
import { recordAction, writeSeries } from './findings-and-retries.js';
import { afterSet, logEnforced } from './enforce.js';

/**
 * The fast path for new links. A batch reads a new link's features before it can plan (a GET or a
 * dump), verifies with another read, and every link that arrives while a batch runs waits for the
 * whole batch and then for its own: in a burst of hundreds of taps that queueing (and the reads,
 * each taking RTNL again) was most of the delay. Links created the same way start with the same
 * features, so the features first read from a fresh link of a kind (its template key: kind, tun
 * type and flags, enslaved or not) plan the next one the moment its RTM_NEWLINK arrives: decide on
 * the template, journal, send one FEATURES_SET by ifindex with its reply (pipelined on a socket of
 * its own). The reply names the asked-for bits that did not end as asked and the bits whose active
 * state changed; from it the state after the set is known, and a second decide on that state is
 * the verification. Compliant: done (delay sample, log line, series). Otherwise (the set failed,
 * the link went away, a bit did not stick, the template did not fit) the link goes to the batch
 * path with its history as before, which reads, plans and backs off as always. The FEATURES_NTF
 * that follows a change carries the full state: when it differs from the computed one, the link is
 * reconciled again from it. Each link takes the fast path at most once (at its first RTM_NEWLINK),
 * so the fast path cannot loop. The first link of a kind is read with a GET in the fast path too
 * (one GET per kind: the links of that kind that come meanwhile wait for it).
 */

/** Can this brand-new link be handled by the fast path? (else: the batch path) */
export function fastEligible(ctx: AgentContext, _l: LinkInfo): boolean {
  return (
    ctx.options.fastPath !== false &&
    ctx.ready &&
    ctx.mode === 'enforce' &&
    ctx.fastPath.supported &&
    ctx.pendingTriggers.size === 0 &&
    !policyUsesDriver(ctx.policy)
  );
}

/** Queue a new link for the fast path; everything queued in this turn of the event loop goes together. */
export function queueFast(ctx: AgentContext, ifindex: number): void {
  ctx.fastPath.active.add(ifindex);
  ctx.fastPath.queued.push(ifindex);
  if (ctx.fastPath.queued.length === 1) setImmediate(() => void runFast(ctx));
}

interface Planned {
  set: SetAction;
  link: LinkInfo;
  plan: FastPlan;
  iface: Interface;
  d: DesiredInterface;
  tracked: Tracked;
  prev: History;
  before: Record<string, boolean>;
}

/** Back to the batch path: read the features, plan and apply as usual. */
function toBatch(ctx: AgentContext, ifindex: number): void {
  ctx.fastPath.active.delete(ifindex);
  ctx.fastPath.skipped.delete(ifindex);
  if (!ctx.cache.links.has(ifindex)) return;
  ctx.cache.unknownFeatures.add(ifindex);
  ctx.queue.mark(ifindex);
}

export async function runFast(ctx: AgentContext): Promise<void> {
  const t0 = ctx.clock();
  const keys = ctx.fastPath.queued.splice(0);
  const oldest = Math.min(...keys.map((ifindex) => ctx.tracked.get(ifindex)?.history.pendingSince ?? t0));
  // No template for a kind yet: read the first link of that kind (one GET per kind, also across
  // turns: the links of a burst that come meanwhile wait for that read) and keep it as template.
  const read = new Map<number, FeatureMap>();
  const waits = new Set<Promise<void>>();
  for (const ifindex of keys) {
    const l = ctx.cache.links.get(ifindex);
    if (!l) continue;
    const tk = templateKey(l);
    if (ctx.fastPath.templates.has(tk)) continue;
    let w = ctx.fastPath.templateReads.get(tk);
    if (!w) {
      w = readTemplate(ctx, ifindex, l, read).finally(() => ctx.fastPath.templateReads.delete(tk));
      ctx.fastPath.templateReads.set(tk, w);
    }
    waits.add(w);
  }
  if (waits.size > 0) await Promise.all(waits);
  const planned: Planned[] = [];
  for (const ifindex of keys) {
    const l = ctx.cache.links.get(ifindex);
    const tracked = ctx.tracked.get(ifindex);
    const tk = l ? templateKey(l) : '';
    const tpl = read.get(ifindex) ?? (l ? ctx.fastPath.templates.get(tk) : undefined);
    // the mode, a resync or a reload may have come since the link was queued
    if (!l || !tracked || !tpl || ctx.mode !== 'enforce' || ctx.pendingTriggers.size > 0) {
      toBatch(ctx, ifindex);
      continue;
    }
    try {
      const link = planFor(ctx, l, tpl, tk, ctx.options.kernel.name);
      const r = link.d
        ? decide(
            link.iface,
            link.d,
            tracked.history,
            'enforce',
            ctx.clock(),
            ctx.backoff,
            link.plan.hasPorts,
            link.plan.classified ?? undefined,
          )
        : null;
      const set = r?.actions.find((a): a is SetAction => a.kind === 'set');
      if (!r || !set || r.actions.length !== 1 || !link.d) {
        toBatch(ctx, ifindex); // nothing to set by the template, or something to report: the batch decides on real features
        continue;
      }
      const before: Record<string, boolean> = {};
      for (const f of Object.keys(set.changes)) before[f] = tpl[f]?.requested ?? false;
      planned.push({
        set,
        link: l,
        plan: link.plan,
        iface: link.iface,
        d: link.d,
        tracked,
        prev: tracked.history,
        before,
      });
      tracked.history = r.history;
    } catch {
      toBatch(ctx, ifindex);
    }
  }
  if (planned.length === 0) return;
  // written down before anything changes, as the batch path does (the batch path retries on failure)
  if (
    !recordFirstChanges(
      ctx,
      planned.map((p) => ({ iface: p.iface, features: p.iface.features, stage: p.plan.hasPorts ? 1 : 0 })),
    )
  ) {
    for (const p of planned) {
      p.tracked.history = p.prev;
      toBatch(ctx, p.set.ifindex);
    }
    return;
  }
  ctx.options.journal?.record(
    planned.map((p) => ({
      ifindex: p.set.ifindex,
      ifname: p.set.name,
      reason: p.set.reason,
      before: p.before,
      after: p.set.changes,
    })),
  );
  for (const p of planned) {
    ctx.metrics.enforcement(p.set.reason);
    ctx.inflight.begin(p.set.ifindex);
  }
  const t1 = ctx.clock();
  let nl: FeatureChannel;
  try {
    nl = await ctx.fastPath.channel();
  } catch (e) {
    ctx.log('warn', 'fast path unavailable', { error: (e as Error).message });
    ctx.fastPath.off = true;
    for (const p of planned) {
      p.tracked.history = p.prev;
      toBatch(ctx, p.set.ifindex);
      afterSet(ctx, p.set.ifindex);
    }
    return;
  }
  // pipelined on the socket (at most MAX_IN_FLIGHT on the wire); each reply is handled as it comes
  let t2 = t1;
  await Promise.all(
    planned.map(async (p) => {
      let r: SetReply | KernelError;
      try {
        r = await nl.set({ index: p.set.ifindex, name: p.set.name }, p.set.changes);
      } catch (e) {
        r = e instanceof KernelError ? e : new KernelError('io', String(e));
      }
      t2 = ctx.clock();
      try {
        finishFast(ctx, p, r);
      } catch (e) {
        ctx.log('error', 'fast path failed', { interface: p.set.name, error: (e as Error).message });
        p.tracked.history = p.prev;
        toBatch(ctx, p.set.ifindex);
      } finally {
        afterSet(ctx, p.set.ifindex);
      }
    }),
  );
  // state counts: recomputed at each scrape and after each batch
  ctx.log('debug', 'fast', {
    n: planned.length,
    waitedMs: round(t0 - oldest),
    planMs: round(t1 - t0),
    setMs: round(t2 - t1),
    totalMs: round(ctx.clock() - t0),
  });
}

/** Read a new link's features (its own, and the template of its kind when it is still fresh). */
async function readTemplate(
  ctx: AgentContext,
  ifindex: number,
  l: LinkInfo,
  read: Map<number, FeatureMap>,
): Promise<void> {
  const seq = ctx.cache.readStamp;
  try {
    // on the fast path's socket: in the monitor process, the wait for RTNL is not ours
    const f = await (await ctx.fastPath.channel()).get({ index: ifindex, name: l.name });
    if (ctx.cache.links.get(ifindex)?.name !== l.name || ctx.cache.newerNotification(ifindex, seq)) return;
    noteTemplate(ctx, ifindex, f);
    ctx.cache.features.set(ifindex, f);
    ctx.cache.unknownFeatures.delete(ifindex);
    read.set(ifindex, f);
  } catch {
    /* gone or failing: the batch path finds out (links without a template go there) */
  }
}

function finishFast(ctx: AgentContext, p: Planned, res: SetReply | KernelError): void {
  const ifindex = p.set.ifindex;
  const tracked = ctx.tracked.get(ifindex);
  if (tracked !== p.tracked) {
    ctx.fastPath.active.delete(ifindex); // gone (RTM_DELLINK) meanwhile
    ctx.fastPath.skipped.delete(ifindex);
    return;
  }
  const cur = ctx.cache.links.get(ifindex);
  if (res instanceof KernelError || res.notApplied.length > 0 || !cur) {
    // failed, gone, or not all as asked: the batch path reads the real features and books it as usual
    ctx.log('debug', 'fast path: to the batch path', {
      interface: p.set.name,
      ifindex,
      ...(res instanceof KernelError ? { error: res.message } : { notApplied: res.notApplied }),
    });
    tracked.history = p.prev;
    toBatch(ctx, ifindex);
    return;
  }
  // The state after the set, from the reply (fast-plan.ts stateAfter). The FEATURES_NTF that
  // follows a change carries the full state; one that differs from this sends the link through the
  // batch path.
  const hasPorts = ctx.cache.masters.has(ifindex);
  const { next, classified } = stateAfter(p.plan, p.iface, p.d, p.set.changes, res.changed, hasPorts);
  ctx.cache.features.set(ifindex, next);
  ctx.cache.unknownFeatures.delete(ifindex);
  const iface: Interface = { ...p.iface, name: cur.name, features: next };
  const r = decide(iface, p.d, tracked.history, 'enforce', ctx.clock(), ctx.backoff, hasPorts, classified);
  const ok = (a: (typeof r)['actions'][number]) =>
    a.kind === 'compliant' || (a.kind === 'report' && a.finding === 'fixed');
  if (!r.actions.some((a) => a.kind === 'compliant') || !r.actions.every(ok)) {
    // not compliant (a dependency or the template did not fit): start over on the real features
    ctx.log('debug', 'fast path: not compliant after the set, to the batch path', { interface: p.set.name, ifindex });
    tracked.history = p.prev;
    toBatch(ctx, ifindex);
    return;
  }
  tracked.history = r.history;
  tracked.iface = iface;
  tracked.managed = p.d !== null;
  let delayMs: number | null = null;
  for (const a of r.actions) {
    if (a.kind === 'compliant') delayMs = a.delayMs;
    if (a.kind !== 'set') recordAction(ctx, a, tracked, true);
  }
  writeSeries(ctx, tracked, p.d);
  logEnforced(ctx, p.set, delayMs);
  ctx.fastPath.active.delete(ifindex);
  // a change of name, kind or master arrived while the fast path had the link: look again
  if (ctx.fastPath.skipped.delete(ifindex) || linkChanged(p.link, cur)) ctx.queue.mark(ifindex);
}
