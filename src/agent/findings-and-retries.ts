import type { DesiredInterface } from '../model/types.js';
import type { Action, Finding, IfaceState } from './reconcile.js';
import type { AgentContext, Tracked } from './agent-context.js';

/** Book a non-set outcome of `decide`: compliance, a finding or drift, a back-off retry. */
export function recordAction(
  ctx: AgentContext,
  a: Exclude<Action, { kind: 'set' }>,
  tracked: Tracked,
  quiet = false,
): void {
  switch (a.kind) {
    case 'compliant':
      tracked.deviations = [];
      tracked.finding = null;
      if (a.delayMs !== null) ctx.metrics.observeDelay(a.delayMs / 1000);
      if (!quiet) ctx.log('debug', 'compliant', { interface: a.name, ifindex: a.ifindex, delayMs: a.delayMs });
      break;
    case 'report':
      // the state shows the most important finding (a fixed bit is the least)
      if (!tracked.finding || FINDING_RANK[a.finding] >= FINDING_RANK[tracked.finding]) {
        tracked.deviations = a.deviations;
        tracked.finding = a.finding;
      }
      ctx.metrics.finding(a.finding);
      if (a.drift) ctx.metrics.driftEvent(a.finding, a.ifindex);
      ctx.log(a.finding === 'fixed' ? 'info' : 'warn', a.drift ? 'drift' : 'finding', {
        interface: a.name,
        ifindex: a.ifindex,
        finding: a.finding,
        mode: ctx.mode,
        deviations: a.deviations,
        ...(a.finding === 'guest-negotiated'
          ? { who: "the tap owner (QEMU, from the guest's virtio negotiation)" }
          : {}),
      });
      ctx.events.push({
        action: a.drift ? 'drift' : 'finding',
        interface: a.name,
        ifindex: a.ifindex,
        finding: a.finding,
        deviations: a.deviations,
      });
      break;
    case 'retry-at':
      scheduleRetry(ctx, a.ifindex, a.at);
      break;
  }
}

/** Mark `ifindex` dirty again at `at` (the back-off's clock); one timer per interface. */
export function scheduleRetry(ctx: AgentContext, ifindex: number, at: number | null): void {
  if (at === null) return;
  ctx.retries.schedule(ifindex, Math.max(0, at - ctx.clock()) + 1, () => {
    if (ctx.cache.links.has(ifindex)) ctx.queue.mark(ifindex);
  });
}

/** The interface's metric series: its managed features, wanted vs active (none when unmanaged). */
export function writeSeries(ctx: AgentContext, tracked: Tracked, d: DesiredInterface | null): void {
  const iface = tracked.iface;
  if (!iface) return;
  const extra = {
    vm: iface.vm ? (iface.vm.name ?? iface.vm.id) : null,
    all: ctx.metrics.allFeatures ? iface.features : undefined,
  };
  if (!d) {
    if (ctx.metrics.allFeatures) ctx.metrics.setInterface(iface.ifindex, iface.name, iface.role, [], null, extra);
    else ctx.metrics.remove(iface.ifindex);
    return;
  }
  const feats = Object.entries(d.features)
    .filter(([k]) => iface.features[k])
    .map(([feature, { value }]) => ({ feature, want: value, active: iface.features[feature]!.active }));
  ctx.metrics.setInterface(iface.ifindex, iface.name, iface.role, feats, tracked.history.state === 'compliant', extra);
}

/** Interfaces per reconcile state, as a gauge. */
export function updateStateCounts(ctx: AgentContext): void {
  const counts: Partial<Record<IfaceState, number>> = {};
  for (const tracked of ctx.tracked.values()) {
    if (!tracked.iface) continue;
    counts[tracked.history.state] = (counts[tracked.history.state] ?? 0) + 1;
  }
  ctx.metrics.setStateCounts(counts);
}

const FINDING_RANK: Record<Finding, number> = {
  fixed: 0,
  held: 1,
  'guest-negotiated': 1,
  'non-compliant': 2,
  drift: 3,
  'gave-up': 4,
};
