import type { Mode } from './reconcile.js';
import type { AgentMetrics } from './metrics.js';
import type { EventRing } from './events.js';
import type { AgentApi } from './http.js';
import { newAgentContext, resync, type AgentContext, type AgentOptions, type ResyncTrigger } from './agent-context.js';
import { onMonitorEvent } from './monitor-events.js';
import { runBatch } from './reconcile-batch.js';
import { updateStateCounts } from './findings-and-retries.js';
import { healthReport, stateReport } from './api-state.js';
import { startOvsView } from './ovs-view.js';

export type { AgentOptions, ResyncTrigger } from './agent-context.js';

/**
 * The agent: observe → desire → plan → apply per kernel event, as a reconcile loop. Events mark
 * interfaces dirty in a WorkQueue (monitor-events.ts); each batch (reconcile-batch.ts) refreshes
 * what it must from the kernel (kernel-refresh.ts: features of new links, by GETs or one dump),
 * builds the observation slice, resolves the policy, lets the pure `decide` choose, and applies the
 * sets with bounded concurrency (enforce.ts); outcomes are booked in findings-and-retries.ts. Full
 * dump + reconcile at start-up, on overrun (lost events), on reload, on POST /api/reconcile and
 * periodically. This file is the lifecycle (start/stop, reload, mode) and the API surface.
 */
export class Agent {
  readonly metrics: AgentMetrics;
  readonly events: EventRing;
  private readonly ctx: AgentContext;
  private periodic: NodeJS.Timeout | null = null;

  constructor(private readonly options: AgentOptions) {
    this.ctx = newAgentContext(options, runBatch, (ctx, e) => {
      ctx.log('error', 'reconcile batch failed', { error: (e as Error).message });
      ctx.metrics.failure('batch');
      // whatever the batch did not finish is found by a full resync, a little later (no hot loop)
      setTimeout(() => this.resync('periodic'), 1000).unref();
    });
    this.metrics = this.ctx.metrics;
    this.events = this.ctx.events;
    this.metrics.setInfo(this.ctx.mode, this.ctx.policy.name);
  }

  /** Subscribe, do the first full reconcile, start the periodic resync. */
  async start(): Promise<void> {
    const ctx = this.ctx;
    this.options.monitor.onEvent((e) => onMonitorEvent(ctx, e));
    this.options.monitor.onError((e) => {
      ctx.failed = e.message;
      this.options.onFatal?.(e);
    });
    // OVS bridges/ports before the first reconcile, so OVS ports get their roles from the start.
    ctx.ovs = await startOvsView(ctx, this.options.ovsdbSocket);
    // The first full reconcile runs here, not in the queue, so its errors reach the caller.
    ctx.pendingTriggers.add('startup');
    await ctx.queue.exclusive(() => runBatch(ctx, { keys: [], full: true }));
    await ctx.queue.idle();
    // the fast path's socket, opened now so the first new link does not wait for it
    if (this.options.fastPath !== false && ctx.fastPath.supported) {
      await ctx.fastPath.channel().catch((e: Error) => {
        ctx.fastPath.off = true;
        ctx.log('warn', 'fast path unavailable', { error: e.message });
      });
    }
    ctx.ready = true;
    const every = this.options.resyncIntervalMs ?? 600_000;
    if (every > 0) {
      this.periodic = setInterval(() => this.resync('periodic'), every);
      this.periodic.unref();
    }
    ctx.log('info', 'agent ready', {
      mode: ctx.mode,
      policy: ctx.policy.name,
      interfaces: ctx.cache.links.size,
      eventSockets: ctx.options.monitor.placement ?? 'inline',
      ...(this.options.scheduling ? { scheduling: this.options.scheduling } : {}),
    });
  }

  async stop(): Promise<void> {
    if (this.periodic) clearInterval(this.periodic);
    this.ctx.retries.cancelAll();
    this.options.monitor.close();
    this.ctx.ovs?.close();
    this.ctx.queue.close();
    this.ctx.fastPath.close();
    this.options.firstChanges?.close();
  }

  /** Wait until every marked interface has been reconciled (tests, API). */
  idle(): Promise<void> {
    return this.ctx.queue.idle();
  }

  resync(trigger: ResyncTrigger): void {
    resync(this.ctx, trigger);
  }

  /** SIGHUP: load the policy again; a bad policy keeps the old one. */
  async reload(): Promise<boolean> {
    const ctx = this.ctx;
    if (!this.options.loadPolicy) return false;
    try {
      const p = await this.options.loadPolicy();
      ctx.policy = p;
      this.metrics.setInfo(ctx.mode, p.name);
      ctx.log('info', 'policy reloaded', { policy: p.name, source: p.source });
      this.events.push({ action: 'reload', policy: p.name });
      this.resync('reload');
      return true;
    } catch (e) {
      ctx.log('error', 'policy reload failed; keeping the old policy', {
        policy: ctx.policy.name,
        error: (e as Error).message,
      });
      this.events.push({ action: 'reload-failed', error: (e as Error).message });
      this.metrics.failure('reload');
      return false;
    }
  }

  /** Called before each scrape: link deletions change the counts between batches. */
  updateStateCounts(): void {
    updateStateCounts(this.ctx);
  }

  // ---- AgentApi ----

  state(): unknown {
    return stateReport(this.ctx);
  }

  eventsSince(since: number, limit: number): unknown {
    return this.events.page(since, limit);
  }

  health(): ReturnType<typeof healthReport> {
    return healthReport(this.ctx);
  }

  async reconcileNow(): Promise<unknown> {
    this.resync('api');
    await this.ctx.queue.idle();
    this.ctx.log('info', 'reconcile requested over the API');
    return (this.state() as { counts: unknown }).counts;
  }

  setMode(mode: Mode): unknown {
    const ctx = this.ctx;
    const old = ctx.mode;
    ctx.mode = mode;
    this.metrics.setInfo(mode, ctx.policy.name);
    ctx.log('info', 'mode changed', { from: old, to: mode });
    this.events.push({ action: 'mode', from: old, to: mode });
    if (old !== mode) this.resync('mode');
    return { mode, previous: old };
  }

  getMode(): Mode {
    return this.ctx.mode;
  }

  /** Read-only access for the page (src/ui/server/agent-view.ts). */
  get context(): AgentContext {
    return this.ctx;
  }
}

/** The HTTP layer's view of an agent. */
export function apiOf(
  agent: Agent,
  recorder: { recordingText(from?: number, to?: number): string } | null = null,
): AgentApi {
  return {
    effectRecording: recorder ? (from, to) => recorder.recordingText(from, to) : undefined,
    metrics: async () => {
      agent.updateStateCounts();
      return { contentType: agent.metrics.contentType, body: await agent.metrics.text() };
    },
    state: () => agent.state(),
    events: (since, limit) => agent.eventsSince(since, limit),
    health: () => agent.health(),
    reconcile: () => agent.reconcileNow(),
    setMode: (m) => agent.setMode(m),
  };
}
