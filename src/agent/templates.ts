import type { FeatureMap, LinkInfo } from '../model/types.js';
import type { AgentContext } from './agent-context.js';

/**
 * Templates of the fast path (fast-path.ts): links created the same way start with the same
 * features, so the features first read from a fresh link of a kind plan the next ones of that kind.
 */

/** The kind of a link, as far as its initial features go: kind, tun type and flags, enslaved or not. */
export function templateKey(l: LinkInfo): string {
  const t = l.tun;
  return [
    l.kind ?? '-',
    l.physical ? 'p' : 'v',
    l.masterIndex !== null ? `m:${l.slaveKind ?? ''}` : '',
    t ? `${t.type}${t.vnetHdr ? 'v' : ''}${t.multiQueue ? 'q' : ''}` : '',
  ].join('|');
}

/** Remember what a fresh link (never set by the agent) looked like, as template for its kind. */
export function noteTemplate(ctx: AgentContext, ifindex: number, f: FeatureMap): void {
  const l = ctx.cache.links.get(ifindex);
  const h = ctx.tracked.get(ifindex)?.history;
  if (!l || !h || h.pendingSince === null || h.attempts > 0) return;
  ctx.fastPath.templates.set(templateKey(l), f);
}
