import type { VmIndex } from '../../host/vm.js';
import { emptyVmIndex } from '../../host/vm.js';
import { listProfiles } from '../../policy/profiles.js';
import type { UiEvent, UiPatch, UiRow, UiSnapshot } from '../shared/types.js';
import type { SseHub } from './sse.js';
import { buildRows, rowKey, UiTables, type AgentView } from './ui-data.js';

export interface AgentEvents {
  list(since: number, limit: number): UiEvent[];
  /** Called synchronously on the agent's path for every event: keep it O(1). */
  subscribe(fn: (e: UiEvent) => void): () => void;
  /** Add an event of the page's own (an apply or restore from the page) to the agent's ring. */
  publish?(e: { action: string; [k: string]: unknown }): void;
}

export interface UiLiveOptions {
  /** Compare every row with what the page has this often while a page is connected (default 1000 ms). */
  fullDiffMs?: number;
  /**
   * Rows named by events are sent once events have paused this long (default 100 ms), or at the
   * latest `eventMaxDelayMs` (default 500 ms) after the first: a burst of 500 new ports costs a few
   * row builds, not 500.
   */
  eventFlushMs?: number;
  eventMaxDelayMs?: number;
  /** VM names and ids beyond the naming schemes (libvirt, Proxmox); default: none. */
  vmIndex?: (ifnames: readonly string[]) => VmIndex;
  tokenConfigured?: () => boolean;
}

/**
 * Keeps the pages current: agent events go out as they come (SSE `agent`), and the rows they name
 * (SSE `rows`) once the events pause (at most half a second later); a full comparison once a second
 * while the agent is quiet catches what no event names (a bridge's features recomputed, a drift in
 * report mode reported before). All of it runs only while a page is connected, off the agent's path
 * (timers), and stays out of a burst's way: during one, rows are built a few times in all, and the
 * full comparison waits until it is over (measured: bench/agent-burst.ts --page, docs/performance.md).
 */
/** Rows built per turn of the event loop when events named many (a burst). */
const SLICE = 64;

export class UiLive {
  private readonly tables = new UiTables();
  private readonly sent = new Map<number, string>();
  private version = 0;
  private readonly dirty = new Set<number>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushFull = false;
  private lastEventAt = 0;
  private firstPendingAt = 0;
  private lastFullAt = 0;
  private readonly interval: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private vmCache: { at: number; index: VmIndex } | null = null;

  constructor(
    private readonly view: AgentView,
    private readonly events: AgentEvents,
    private readonly hub: SseHub,
    private readonly opts: UiLiveOptions = {},
  ) {
    this.unsubscribe = events.subscribe((e) => this.onEvent(e));
    const every = opts.fullDiffMs ?? 1000;
    this.interval = setInterval(() => {
      const now = Date.now();
      // not during a burst (events in the last interval), but at least every 10 intervals
      if (this.hub.size > 0 && (now - this.lastEventAt >= every || now - this.lastFullAt >= 10 * every)) this.diff();
    }, every);
    this.interval.unref();
  }

  close(): void {
    clearInterval(this.interval);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.unsubscribe();
  }

  /** The whole state for GET /api/ui/state (and a patch to pages already connected, if anything moved). */
  snapshot(): UiSnapshot {
    const rows = this.diff();
    const recent = this.events.list(0, 200);
    return {
      version: this.version,
      takenAt: new Date().toISOString(),
      mode: this.view.mode(),
      policy: { name: this.view.policy().name, source: this.view.policy().source },
      ready: this.view.ready(),
      backend: this.view.backend,
      tokenConfigured: this.opts.tokenConfigured?.() ?? false,
      profiles: listProfiles().map((p) => ({ name: p.name, description: p.description })),
      features: [...this.tables.features],
      columns: this.tables.columns(),
      rules: [...this.tables.rules],
      wants: [...this.tables.wants],
      rows,
      eventSeq: recent.length ? recent[recent.length - 1]!.seq : 0,
      events: recent,
    };
  }

  private onEvent(e: UiEvent): void {
    if (this.hub.size === 0) return;
    this.hub.publish('agent', e);
    const now = Date.now();
    this.lastEventAt = now;
    if (typeof e.ifindex === 'number') this.dirty.add(e.ifindex);
    else if (e.action === 'mode' || e.action === 'reload' || e.action === 'resync') this.flushFull = true;
    else return;
    if (this.flushTimer === null) {
      this.firstPendingAt = now;
      this.flushTimer = setTimeout(() => this.flushWhenQuiet(), this.opts.eventFlushMs ?? 100);
    }
  }

  private flushWhenQuiet(): void {
    const quiet = this.opts.eventFlushMs ?? 100;
    const now = Date.now();
    if (now - this.lastEventAt < quiet && now - this.firstPendingAt < (this.opts.eventMaxDelayMs ?? 500)) {
      this.flushTimer = setTimeout(() => this.flushWhenQuiet(), quiet - (now - this.lastEventAt) + 1);
      return;
    }
    this.flushTimer = null;
    if (this.flushFull) {
      this.flushFull = false;
      this.dirty.clear();
      this.diff();
      return;
    }
    const keys = [...this.dirty];
    this.dirty.clear();
    this.buildInSlices(keys);
  }

  /** Rows for `keys`, a slice per turn of the event loop: the agent's events go in between. */
  private buildInSlices(keys: number[]): void {
    const slice = keys.slice(0, SLICE);
    const rows = buildRows(this.view, this.tables, slice, this.vms(false));
    const present = new Set(rows.map((r) => r.ifindex));
    this.publish(
      rows,
      slice.filter((k) => !present.has(k) && this.sent.has(k)),
    );
    if (keys.length > SLICE) setImmediate(() => this.buildInSlices(keys.slice(SLICE)));
  }

  /** Build every row, send what differs from what the pages have; returns all rows. */
  private diff(): UiRow[] {
    this.lastFullAt = Date.now();
    const rows = buildRows(this.view, this.tables, undefined, this.vms(true));
    const present = new Set<number>();
    for (const r of rows) present.add(r.ifindex);
    const gone = [...this.sent.keys()].filter((k) => !present.has(k));
    this.publish(rows, gone);
    return rows;
  }

  private publish(rows: UiRow[], gone: number[]): void {
    const changed: UiRow[] = [];
    for (const r of rows) {
      const k = rowKey(r);
      if (this.sent.get(r.ifindex) !== k) {
        this.sent.set(r.ifindex, k);
        changed.push(r);
      }
    }
    for (const g of gone) this.sent.delete(g);
    if (changed.length === 0 && gone.length === 0) return;
    this.version++;
    const patch: UiPatch = {
      version: this.version,
      rows: changed,
      gone,
      wants: this.tables.wants,
      rules: this.tables.rules,
      features: this.tables.features,
      mode: this.view.mode(),
      policy: { name: this.view.policy().name, source: this.view.policy().source },
    };
    this.hub.publish('rows', patch);
  }

  private vms(refresh: boolean): VmIndex {
    const read = this.opts.vmIndex;
    if (!read) return emptyVmIndex();
    const now = Date.now();
    if (!this.vmCache || (refresh && now - this.vmCache.at > 30_000)) {
      const names = [...this.view.links.values()].map((l) => l.name);
      this.vmCache = { at: now, index: read(names) };
    }
    return this.vmCache.index;
  }
}
