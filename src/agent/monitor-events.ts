import type { MonitorEvent } from '../kernel/monitor/types.js';
import { newHistory } from './reconcile.js';
import { forget, resync, type AgentContext } from './agent-context.js';
import { sameFeatures } from './same-features.js';
import { linkChanged } from './link-cache.js';
import { fastEligible, queueFast } from './fast-path.js';

/** One kernel event: update what is known of the link and mark it dirty when that can matter. */
export function onMonitorEvent(ctx: AgentContext, e: MonitorEvent): void {
  ctx.metrics.event(e.type);
  switch (e.type) {
    case 'link-new': {
      const prev = ctx.cache.links.get(e.link.ifindex);
      const known = prev !== undefined;
      ctx.cache.links.set(e.link.ifindex, e.link);
      // RTM_NEWLINK also follows every feature change and flag flip: only what can change the
      // policy's answer (name, kind, master) needs a reconcile
      if (known && !linkChanged(prev, e.link)) break;
      if (!known) {
        ctx.cache.unknownFeatures.add(e.link.ifindex);
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
        ctx.inflight.defer(e.ifindex, e.features);
        break;
      }
      const prev = ctx.cache.features.get(e.ifindex);
      ctx.cache.notified(e.ifindex, e.features);
      // our own verified change comes back as a notification: nothing new, nothing to do
      if (ctx.cache.links.has(e.ifindex) && !(prev && sameFeatures(prev, e.features))) ctx.queue.mark(e.ifindex);
      break;
    }
    case 'overrun':
      ctx.metrics.overrun(e.source);
      ctx.log('warn', 'netlink overrun: events lost, full resync', {
        source: e.source,
        ...(e.detail ? { detail: e.detail } : {}),
      });
      ctx.events.push({ action: 'overrun', source: e.source });
      resync(ctx, 'overrun');
      break;
  }
}
