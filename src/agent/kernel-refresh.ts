import { KernelError } from '../kernel/types.js';
import { newHistory } from './reconcile.js';
import { forEachLimit } from './pool.js';
import { forget, type AgentContext, type ResyncTrigger } from './agent-context.js';
import { noteTemplate } from './templates.js';

/** Full resync: dump every link and its features, forget what is gone. */
export async function fullRefresh(ctx: AgentContext, triggers: ResyncTrigger[]): Promise<void> {
  const seq = ctx.cache.readStamp;
  const [links, features] = await Promise.all([ctx.options.kernel.listLinks(), ctx.options.kernel.dumpFeatures()]);
  const seen = new Set<number>();
  for (const l of links) {
    seen.add(l.ifindex);
    ctx.cache.links.set(l.ifindex, l);
    const f = features.get(l.ifindex);
    if (f && !ctx.cache.newerNotification(l.ifindex, seq)) {
      ctx.cache.features.set(l.ifindex, f);
      ctx.cache.unknownFeatures.delete(l.ifindex);
    }
    if (!ctx.tracked.has(l.ifindex))
      ctx.tracked.set(l.ifindex, {
        iface: null,
        history: newHistory(null),
        deviations: [],
        finding: null,
        managed: false,
      });
  }
  for (const k of [...ctx.cache.links.keys()]) if (!seen.has(k)) forget(ctx, k);
  // an explicit request (reload, API, mode change) starts every back-off afresh
  if (triggers.some((t) => t === 'reload' || t === 'api' || t === 'mode')) {
    for (const tracked of ctx.tracked.values())
      tracked.history = {
        ...tracked.history,
        attempts: 0,
        retryAt: null,
        gaveUp: false,
        reportedSig: null,
        reportedFixedSig: null,
      };
  }
  ctx.events.push({ action: 'resync', triggers, interfaces: links.length });
  ctx.log('info', 'resync', { triggers, interfaces: links.length });
}

/** Read the features of `keys` not seen yet: one dump above the threshold, else GETs. */
export async function refreshUnknown(ctx: AgentContext, keys: number[]): Promise<void> {
  const unknown = keys.filter((k) => ctx.cache.unknownFeatures.has(k));
  if (unknown.length === 0) return;
  const seq = ctx.cache.readStamp;
  if (unknown.length > (ctx.options.dumpThreshold ?? 64)) {
    const all = await ctx.options.kernel.dumpFeatures();
    for (const [k, f] of all) {
      if (!ctx.cache.links.has(k) || ctx.cache.newerNotification(k, seq)) continue;
      if (ctx.cache.unknownFeatures.has(k)) noteTemplate(ctx, k, f);
      ctx.cache.features.set(k, f);
      ctx.cache.unknownFeatures.delete(k);
    }
    return;
  }
  await forEachLimit(unknown, ctx.options.concurrency ?? 32, async (k) => {
    const l = ctx.cache.links.get(k);
    if (!l) return;
    try {
      const f = await ctx.options.kernel.getFeatures(l.name);
      if (
        (ctx.cache.links.get(k) === l || ctx.cache.links.get(k)?.name === l.name) &&
        !ctx.cache.newerNotification(k, seq)
      ) {
        noteTemplate(ctx, k, f);
        ctx.cache.features.set(k, f);
        ctx.cache.unknownFeatures.delete(k);
      }
    } catch (e) {
      if (e instanceof KernelError && e.code === 'not-found') return; // gone; its DELLINK follows
      throw e;
    }
  });
}

/** Driver info for `keys` not known yet (only when a rule selects by driver). */
export async function refreshDrivers(ctx: AgentContext, keys: number[]): Promise<void> {
  const missing = keys.filter((k) => !ctx.cache.drivers.has(k));
  await forEachLimit(missing, ctx.options.concurrency ?? 32, async (k) => {
    const l = ctx.cache.links.get(k);
    if (!l) return;
    try {
      ctx.cache.drivers.set(k, await ctx.options.kernel.driverInfo(l.name));
    } catch {
      /* gone, or no driver: the selector simply does not match */
    }
  });
}
