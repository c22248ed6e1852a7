import type { AgentContext } from './agent-context.js';

/** The body of GET /api/state: mode, policy, readiness and every observed interface. */
export function stateReport(ctx: AgentContext): unknown {
  const interfaces = [...ctx.tracked.entries()]
    .filter(([, t]) => t.iface)
    .sort(([a], [b]) => a - b)
    .map(([ifindex, t]) => ({
      ifindex,
      name: t.iface!.name,
      role: t.iface!.role,
      kind: t.iface!.kind,
      managed: t.managed,
      state: t.history.state,
      finding: t.finding,
      deviations: t.deviations,
      attempts: t.history.attempts,
    }));
  const counts: Record<string, number> = {};
  for (const i of interfaces) counts[i.state] = (counts[i.state] ?? 0) + 1;
  return {
    mode: ctx.mode,
    policy: { name: ctx.policy.name, source: ctx.policy.source },
    startedAt: ctx.startedAt,
    ready: ctx.ready,
    backend: ctx.options.kernel.name,
    counts,
    interfaces,
  };
}

/**
 * /healthz: healthy once the first full reconcile is done, until the monitor fails for good.
 * Degraded (still healthy: enforcement goes on) while the change journal cannot be written.
 */
export function healthReport(ctx: AgentContext): { ok: boolean; reason: string; degraded: string | null } {
  if (ctx.failed) return { ok: false, reason: `monitor failed: ${ctx.failed}`, degraded: null };
  if (!ctx.ready) return { ok: false, reason: 'first reconcile not finished', degraded: null };
  const journal = ctx.options.journal?.problem?.() ?? null;
  const problems = [
    journal ? `journal write failed: ${journal}` : null,
    ctx.recordProblem ? `state before first changes not recorded: ${ctx.recordProblem}` : null,
  ];
  const degraded = problems.filter(Boolean).join('; ');
  return { ok: true, reason: 'ok', degraded: degraded || null };
}
