import type { LinkInfo } from '../model/types.js';
import type { MonitorEvent } from '../kernel/monitor/types.js';
import { newHistory } from './reconcile.js';
import { forget, resync, type AgentContext } from './agent-context.js';
import { sameFeatures } from './same-features.js';
import { fastEligible, queueFast } from './fast-path.js';

/** One kernel event: update what is known of the link and mark it dirty when that can matter. */
export function onMonitorEvent(ctx: AgentContext, e: MonitorEvent): void {
  ctx.metrics.event(e.type);
  switch (e.type) {
    case 'link-new': {
      const prev = ctx.links.get(e.link.ifindex);
      const known = prev !== undefined;
      ctx.links.set(e.link.ifindex, e.link);
      // RTM_NEWLINK also follows every feature change and flag flip: only what can change the
      // policy's answer (name, kind, master) needs a reconcile
      if (known && !linkChanged(prev, e.link)) break;
      if (!known) {
        ctx.unknownFeatures.add(e.link.ifindex);
        ctx.tracked.set(e.link.ifindex, {
          iface: null,
          history: newHistory(e.at),
          deviations: [],
          finding: null,
          managed: false,
        });
      }
      if (!known && fastEligible(ctx, e.link)) queueFast(ctx, e.link.ifindex);
      else ctx.queue.mark(e.link.ifindex);
      break;
    }
    case 'link-del':
      forget(ctx, e.ifindex);
      break;
    case 'features': {
      if (ctx.inflight.has(e.ifindex)) {
        // most likely our own change, notified before the set's answer: the verification read
        // decides (see finishSet); only a difference from it needs another look
        ctx.deferred.set(e.ifindex, e.features);
        break;
      }
      const prev = ctx.features.get(e.ifindex);
      ctx.features.set(e.ifindex, e.features);
      ctx.ntfAt.set(e.ifindex, ++ctx.ntfSeq);
      ctx.unknownFeatures.delete(e.ifindex);
      // our own verified change comes back as a notification: nothing new, nothing to do
      if (ctx.links.has(e.ifindex) && !(prev && sameFeatures(prev, e.features))) ctx.queue.mark(e.ifindex);
      break;
    }
    case 'overrun':
      ctx.metrics.overrun(e.source);
      ctx.log('warn', 'netlink overrun: events lost, full resync', { source: e.source, ...(e.detail ? { detail: e.detail } : {}) });
      ctx.events.push({ action: 'overrun', source: e.source });
      resync(ctx, 'overrun');
      break;
  }
}

function linkChanged(a: LinkInfo, b: LinkInfo): boolean {
  return a.name !== b.name || a.kind !== b.kind || a.masterIndex !== b.masterIndex || a.slaveKind !== b.slaveKind || a.physical !== b.physical || (a.tun?.type ?? null) !== (b.tun?.type ?? null);
}
