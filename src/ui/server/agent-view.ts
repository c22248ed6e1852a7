import type { AgentContext } from '../../agent/agent-context.js';
import type { AgentEvents } from './ui-live.js';
import type { AgentView } from './ui-data.js';

/** The page's read-only view of a running agent's context. */
export function agentView(ctx: AgentContext): AgentView {
  return {
    links: ctx.cache.links,
    features: ctx.cache.features,
    tracked: (ifindex) => {
      const t = ctx.tracked.get(ifindex);
      return t ? { state: t.history.state, finding: t.finding } : undefined;
    },
    policy: () => ctx.policy,
    mode: () => ctx.mode,
    ready: () => ctx.ready,
    backend: ctx.options.kernel.name,
  };
}

export function agentEvents(ctx: AgentContext): AgentEvents {
  return {
    list: (since, limit) => ctx.events.list(since, limit),
    subscribe: (fn) => ctx.events.subscribe(fn),
    publish: (e) => ctx.events.push(e),
  };
}
