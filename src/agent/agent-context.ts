import { performance } from 'node:perf_hooks';
import type { Interface, Policy } from '../model/types.js';
import type { KernelMonitor } from '../kernel/monitor/types.js';
import {
  DEFAULT_BACKOFF,
  type Action,
  type BackoffOptions,
  type Deviation,
  type Finding,
  type History,
  type Mode,
} from './reconcile.js';
import { WorkQueue, type Batch } from './queue.js';
import { AgentMetrics } from './metrics.js';
import { LinkCache } from './link-cache.js';
import { FastPathState } from './fast-path-state.js';
import { InFlight } from './in-flight.js';
import { RetryTimers } from './retry-timers.js';
import { VmIndexCache } from '../host/vm-index-cache.js';
import type { VmSources } from '../host/vm-reader.js';
import { EventRing } from './events.js';
import type { Logger } from './log.js';
import type { Journal } from './journal.js';
import type { FirstChange, FirstChangeRecord } from '../apply/first-change-record.js';
import type { KernelBackend } from '../kernel/types.js';
import type { OvsView } from './ovs-view.js';

export type SetAction = Extract<Action, { kind: 'set' }>;

export type ResyncTrigger = 'startup' | 'overrun' | 'reload' | 'api' | 'mode' | 'periodic';

export interface AgentOptions {
  kernel: KernelBackend;
  monitor: KernelMonitor;
  policy: Policy;
  mode: Mode;
  logger: Logger;
  metrics?: AgentMetrics;
  /** Re-read the policy (SIGHUP). Throws on a bad policy: the old one stays. */
  loadPolicy?: () => Promise<Policy> | Policy;
  /** Coalescing window for bursts, ms (default 0: the events of one socket read form a batch). */
  windowMs?: number;
  /** FEATURES_SET / GET requests in flight (default 32; the netlink package breaks above ~125). */
  concurrency?: number;
  /** More unknown interfaces than this in one batch → one FEATURES_GET dump instead of GETs (default 64). */
  dumpThreshold?: number;
  backoff?: BackoffOptions;
  /** Periodic full resync, ms (safety net); 0 disables. Default 10 minutes. */
  resyncIntervalMs?: number;
  eventsCapacity?: number;
  journal?: Journal | null;
  /** Where the state of each interface before the agent's first change to it is recorded (restore --agent). */
  firstChanges?: FirstChangeRecord | null;
  clock?: () => number;
  /** The monitor failed for good (not an overrun): the daemon should exit. */
  onFatal?: (e: Error) => void;
  /**
   * Fast path for new links (default true; netlink backend, enforce mode, no driver selectors): a
   * new link is planned at its RTM_NEWLINK from the features of the first fresh link of its kind,
   * set at once with a FEATURES_SET whose reply verifies it, without waiting for a batch (fast-path.ts).
   */
  fastPath?: boolean;
  /** Where the VM platforms keep their records (default: libvirt's and Proxmox's standard folders). */
  vmSources?: VmSources;
  /** The process's CPU scheduling, for the ready log (e.g. "fifo:1"; kernel/scheduling.ts). */
  scheduling?: string;
  /** OVSDB socket for the Open vSwitch view (default $OVS_RUNDIR/db.sock); null: do not watch OVS. */
  ovsdbSocket?: string | null;
}

/** What the agent keeps per interface between batches. */
export interface Tracked {
  iface: Interface | null;
  history: History;
  deviations: Deviation[];
  finding: Finding | null;
  managed: boolean;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Everything one running agent knows and shares between its parts (events, batch, enforcement,
 * findings, API state): the kernel's links and features as last seen, per-interface tracking, the
 * work queue, and the policy and mode in force.
 */
export interface AgentContext {
  readonly options: AgentOptions;
  readonly metrics: AgentMetrics;
  readonly events: EventRing;
  readonly queue: WorkQueue<number>;
  readonly clock: () => number;
  readonly backoff: BackoffOptions;
  policy: Policy;
  mode: Mode;
  /** The kernel's links and features as last seen. */
  readonly cache: LinkCache;
  /** VM ownership of ports, re-read only when the platforms' files change (when a rule selects by VM). */
  readonly vmIndex: VmIndexCache;
  readonly tracked: Map<number, Tracked>;
  /** Back-off retries, one timer per interface (findings-and-retries.ts). */
  readonly retries: RetryTimers;
  /** Interfaces with a FEATURES_SET on the way, and feature notifications that came meanwhile. */
  readonly inflight: InFlight;
  /** The fast path's state (fast-path.ts). */
  readonly fastPath: FastPathState;
  pendingTriggers: Set<ResyncTrigger>;
  readonly startedAt: string;
  ready: boolean;
  failed: string | null;
  /**
   * Why a record before a first change failed (ENOSPC ...): sticky, since restore --agent will not
   * know those interfaces' earlier state for the rest of this run; /healthz says degraded.
   */
  recordProblem: string | null;
  /** Open vSwitch bridges/ports from OVSDB, kept current by a monitor (ovs-view.ts); null: no OVS watch. */
  ovs: OvsView | null;
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
}

/** A fresh context; `runBatch` and `onBatchError` are the work queue's consumer and error handler. */
export function newAgentContext(
  options: AgentOptions,
  runBatch: (ctx: AgentContext, b: Batch<number>) => Promise<void>,
  onBatchError: (ctx: AgentContext, e: unknown) => void,
): AgentContext {
  const ctx: AgentContext = {
    options,
    metrics: options.metrics ?? new AgentMetrics(),
    events: new EventRing(options.eventsCapacity ?? 1000),
    queue: new WorkQueue<number>(
      (b) => runBatch(ctx, b),
      { windowMs: options.windowMs ?? 0 },
      (e) => onBatchError(ctx, e),
    ),
    clock: options.clock ?? (() => performance.now()),
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    policy: options.policy,
    mode: options.mode,
    cache: new LinkCache(),
    vmIndex: new VmIndexCache(options.vmSources),
    tracked: new Map(),
    retries: new RetryTimers(),
    inflight: new InFlight(),
    fastPath: new FastPathState(options.kernel, options.monitor),
    pendingTriggers: new Set(),
    startedAt: new Date().toISOString(),
    ready: false,
    failed: null,
    recordProblem: null,
    ovs: null,
    log: (level, msg, fields = {}) => options.logger.log(level, msg, fields),
  };
  return ctx;
}

/** The link is gone: drop all that is known of it, its series and its retry timer. */
export function forget(ctx: AgentContext, ifindex: number): void {
  ctx.inflight.forget(ifindex);
  ctx.cache.forget(ifindex);
  ctx.tracked.delete(ifindex);
  ctx.options.firstChanges?.forget(ifindex);
  ctx.metrics.remove(ifindex);
  ctx.retries.cancel(ifindex);
}

/** Mark every link dirty; the next batch is a full resync, counted under `trigger`. */
export function resync(ctx: AgentContext, trigger: ResyncTrigger): void {
  ctx.pendingTriggers.add(trigger);
  ctx.queue.markAll();
}

export const round = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * Record what the interfaces of `changes` look like before the agent first changes them (the
 * snapshot store, for `restore --agent`). When that fails (a full disk, EIO) enforcement goes on —
 * the policy is what the operator asked for, and a new VM port left unenforced is the failure this
 * agent exists to prevent — and the failure is reported: the `snapshot` failure counter, an error
 * line naming the interfaces `restore --agent` will not know, and /healthz "degraded". Returns
 * true: the caller may change them.
 */
export function recordFirstChanges(ctx: AgentContext, changes: readonly FirstChange[]): boolean {
  const store = ctx.options.firstChanges;
  if (!store || changes.length === 0) return true;
  try {
    const id = store.record(changes, `agent: ${ctx.policy.name}`);
    if (id) ctx.log('debug', 'recorded before the first change', { snapshot: id, interfaces: changes.length });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    ctx.recordProblem = err.code ?? err.message;
    ctx.metrics.failure('snapshot');
    ctx.log(
      'error',
      'cannot record the state before the change; enforcing anyway, restore --agent will not know these interfaces',
      {
        error: err.code ?? err.message,
        interfaces: changes.map((c) => c.iface.name),
      },
    );
  }
  return true;
}
