import type { FeatureMap } from '../model/types.js';
import type { FeatureChannel, KernelBackend } from '../kernel/types.js';
import type { KernelMonitor } from '../kernel/monitor/types.js';
import type { FastPlan } from './fast-plan.js';

/** What the fast path for new links (fast-path.ts) keeps between events. */
export class FastPathState {
  /** Features of a fresh link per template key (kind, tun flags, ...), as first read (templates.ts). */
  readonly templates = new Map<string, FeatureMap>();
  /** Template reads on the way, by template key (one per kind). */
  readonly templateReads = new Map<string, Promise<void>>();
  /** The plans by template key and selection (fast-plan.ts). */
  readonly plans = new Map<string, FastPlan>();
  /** New links waiting for the next turn of the event loop. */
  readonly queued: number[] = [];
  /** Links the fast path has: queued, or with their SET (or template GET) on the way. */
  readonly active = new Set<number>();
  /** Links a batch skipped because the fast path had them: marked again when it is done. */
  readonly skipped = new Set<number>();
  /** The feature channel could not be opened: the batch path does it all. */
  off = false;
  private channelOpening: Promise<FeatureChannel> | null = null;

  constructor(
    private readonly kernel: KernelBackend,
    private readonly monitor: KernelMonitor,
  ) {}

  /** Whether the kernel backend offers what the fast path needs (set-with-reply by ifindex). */
  get supported(): boolean {
    return this.kernel.openFeatureChannel !== undefined && !this.off;
  }

  /**
   * The fast path's feature channel, opened at its first use: in the monitor's process when it has
   * one (a SET waits there for RTNL, not in this event loop), else here.
   */
  channel(): Promise<FeatureChannel> {
    if (!this.channelOpening) {
      const open = this.kernel.openFeatureChannel;
      this.channelOpening = open
        ? open.call(this.kernel, this.monitor)
        : Promise.reject(new Error('the kernel backend has no feature channel'));
    }
    return this.channelOpening;
  }

  close(): void {
    this.channelOpening?.then(
      (c) => c.close(),
      () => {},
    );
  }
}
