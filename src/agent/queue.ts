/**
 * The agent's work queue: a set of dirty keys (ifindexes) marked by events, drained in batches by
 * one worker. Marks that arrive within `windowMs` of the first one join its batch, and marks that
 * arrive while a batch runs form the next one, so a burst of hundreds of link events becomes a few
 * batches (one kernel dump or a bounded fan-out each), not one netlink round-trip per event.
 * A key is in the queue at most once (a set): repeated events for one interface coalesce.
 */
export interface Batch<K> {
  keys: K[];
  /** A full resync was asked for (start-up, overrun, reload, POST /api/reconcile). */
  full: boolean;
}

export interface QueueOptions {
  /** Coalescing window after the first mark, ms. */
  windowMs: number;
}

export class WorkQueue<K> {
  private dirty = new Set<K>();
  private full = false;
  /** A pending drain: a timer (window > 0) or an immediate (window 0). */
  private timer: { cancel(): void } | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  /** Batches run so far (for metrics and tests). */
  batches = 0;

  constructor(
    private readonly worker: (b: Batch<K>) => Promise<void>,
    private readonly opts: QueueOptions,
    private readonly onError: (e: unknown) => void = () => {},
  ) {}

  mark(key: K): void {
    if (this.closed) return;
    this.dirty.add(key);
    this.schedule();
  }

  markAll(): void {
    if (this.closed) return;
    this.full = true;
    this.schedule();
  }

  get size(): number {
    return this.dirty.size;
  }

  /** Resolves when the queue is empty and no batch runs (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running || this.timer || this.dirty.size > 0 || this.full) {
      if (this.running) await this.running;
      else await new Promise((r) => setTimeout(r, Math.max(1, this.opts.windowMs)));
    }
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer || this.running) return; // the running batch reschedules when it ends
    this.later(this.opts.windowMs);
  }

  /**
   * Run fn as a batch of its own (no other batch runs meanwhile); marks made during it wait for
   * the next batch. Its errors go to the caller, not to onError.
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.running) await this.running;
    this.timer?.cancel();
    this.timer = null;
    const p = fn();
    this.running = p.then(
      () => {},
      () => {},
    );
    try {
      return await p;
    } finally {
      this.running = null;
      this.afterBatch();
    }
  }

  private afterBatch(): void {
    // what arrived meanwhile has waited long enough: run it at once
    if (!this.closed && !this.timer && !this.running && (this.dirty.size > 0 || this.full)) this.later(0);
  }

  /**
   * Drain after ms; 0 means after the events already read in this turn of the event loop
   * (setImmediate: everything one socket read delivered joins the batch, without a timer's ≥1 ms).
   */
  private later(ms: number): void {
    const run = () => {
      this.timer = null;
      this.drain();
    };
    if (ms > 0) {
      const t = setTimeout(run, ms);
      this.timer = { cancel: () => clearTimeout(t) };
    } else {
      const t = setImmediate(run);
      this.timer = { cancel: () => clearImmediate(t) };
    }
  }

  private drain(): void {
    if (this.closed || this.running || (this.dirty.size === 0 && !this.full)) return;
    const batch: Batch<K> = { keys: [...this.dirty], full: this.full };
    this.dirty = new Set();
    this.full = false;
    this.batches++;
    this.running = this.worker(batch)
      .catch(this.onError)
      .finally(() => {
        this.running = null;
        this.afterBatch();
      });
  }
}
