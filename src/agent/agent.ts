import { performance } from 'node:perf_hooks';
import type { DesiredInterface, DriverInfo, FeatureMap, Interface, LinkInfo, Policy } from '../model/types.js';
import { KernelError, type KernelBackend } from '../kernel/types.js';
import type { KernelMonitor, MonitorEvent } from '../kernel/monitor/types.js';
import { buildObservation } from '../host/observe.js';
import { readVmIndex } from '../host/vm-reader.js';
import { resolvePolicy } from '../policy/resolve.js';
import { decide, newHistory, DEFAULT_BACKOFF, type Action, type BackoffOptions, type Deviation, type Finding, type History, type IfaceState, type Mode } from './reconcile.js';
import { WorkQueue, type Batch } from './queue.js';
import { AgentMetrics } from './metrics.js';
import { EventRing } from './events.js';
import type { Logger } from './log.js';
import type { AgentApi } from './http.js';
import { forEachLimit } from './pool.js';
import type { Journal } from './journal.js';

type SetAction = Extract<Action, { kind: 'set' }>;

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
  clock?: () => number;
  /** The monitor failed for good (not an overrun): the daemon should exit. */
  onFatal?: (e: Error) => void;
}

interface Tracked {
  iface: Interface | null;
  history: History;
  deviations: Deviation[];
  finding: Finding | null;
  managed: boolean;
}

/**
 * The agent: observe → desire → plan → apply per kernel event, as a reconcile loop. Events mark
 * interfaces dirty in a WorkQueue; each batch refreshes what it must from the kernel (features of
 * new links, by GETs or one dump), builds the observation slice, resolves the policy, lets the pure
 * `decide` choose, and applies the sets with bounded concurrency. Full dump + reconcile at start-up,
 * on overrun (lost events), on reload, on POST /api/reconcile and periodically.
 */
export class Agent {
  readonly metrics: AgentMetrics;
  readonly events: EventRing;
  private policy: Policy;
  private mode: Mode;
  private readonly links = new Map<number, LinkInfo>();
  private readonly features = new Map<number, FeatureMap>();
  /** Links whose features the agent has not seen yet (new links: no FEATURES_NTF at creation). */
  private readonly unknownFeatures = new Set<number>();
  private readonly drivers = new Map<number, DriverInfo>();
  private readonly tracked = new Map<number, Tracked>();
  private readonly retryTimers = new Map<number, NodeJS.Timeout>();
  /** Interfaces with a FEATURES_SET on the way, and feature notifications that came meanwhile. */
  private readonly inflight = new Set<number>();
  private readonly deferred = new Map<number, FeatureMap>();
  /** ifindexes that are some link's master (bridges, bonds), as of the last reconcile. */
  private masters = new Set<number>();
  private readonly queue: WorkQueue<number>;
  private pendingTriggers = new Set<ResyncTrigger>();
  private readonly startedAt = new Date().toISOString();
  private ready = false;
  private failed: string | null = null;
  private periodic: NodeJS.Timeout | null = null;
  private readonly clock: () => number;
  private readonly backoff: BackoffOptions;

  constructor(private readonly o: AgentOptions) {
    this.metrics = o.metrics ?? new AgentMetrics();
    this.events = new EventRing(o.eventsCapacity ?? 1000);
    this.policy = o.policy;
    this.mode = o.mode;
    this.clock = o.clock ?? (() => performance.now());
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
    this.queue = new WorkQueue<number>((b) => this.runBatch(b), { windowMs: o.windowMs ?? 0 }, (e) => {
      this.log('error', 'reconcile batch failed', { error: (e as Error).message });
      this.metrics.failure('batch');
      // whatever the batch did not finish is found by a full resync, a little later (no hot loop)
      setTimeout(() => this.resync('periodic'), 1000).unref();
    });
    this.metrics.setInfo(this.mode, this.policy.name);
  }

  /** Subscribe, do the first full reconcile, start the periodic resync. */
  async start(): Promise<void> {
    this.o.monitor.onEvent((e) => this.onEvent(e));
    this.o.monitor.onError((e) => {
      this.failed = e.message;
      this.o.onFatal?.(e);
    });
    // The first full reconcile runs here, not in the queue, so its errors reach the caller.
    this.pendingTriggers.add('startup');
    await this.queue.exclusive(() => this.runBatch({ keys: [], full: true }));
    await this.queue.idle();
    this.ready = true;
    const every = this.o.resyncIntervalMs ?? 600_000;
    if (every > 0) {
      this.periodic = setInterval(() => this.resync('periodic'), every);
      this.periodic.unref();
    }
    this.log('info', 'agent ready', { mode: this.mode, policy: this.policy.name, interfaces: this.links.size });
  }

  async stop(): Promise<void> {
    if (this.periodic) clearInterval(this.periodic);
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.retryTimers.clear();
    this.o.monitor.close();
    this.queue.close();
  }

  /** Wait until every marked interface has been reconciled (tests, API). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  resync(trigger: ResyncTrigger): void {
    this.pendingTriggers.add(trigger);
    this.queue.markAll();
  }

  /** SIGHUP: load the policy again; a bad policy keeps the old one. */
  async reload(): Promise<boolean> {
    if (!this.o.loadPolicy) return false;
    try {
      const p = await this.o.loadPolicy();
      this.policy = p;
      this.metrics.setInfo(this.mode, p.name);
      this.log('info', 'policy reloaded', { policy: p.name, source: p.source });
      this.events.push({ action: 'reload', policy: p.name });
      this.resync('reload');
      return true;
    } catch (e) {
      this.log('error', 'policy reload failed; keeping the old policy', { policy: this.policy.name, error: (e as Error).message });
      this.events.push({ action: 'reload-failed', error: (e as Error).message });
      this.metrics.failure('reload');
      return false;
    }
  }

  // ---- events ----

  private onEvent(e: MonitorEvent): void {
    this.metrics.event(e.type);
    switch (e.type) {
      case 'link-new': {
        const prev = this.links.get(e.link.ifindex);
        const known = prev !== undefined;
        this.links.set(e.link.ifindex, e.link);
        // RTM_NEWLINK also follows every feature change and flag flip: only what can change the
        // policy's answer (name, kind, master) needs a reconcile
        if (known && !linkChanged(prev, e.link)) break;
        if (!known) {
          this.unknownFeatures.add(e.link.ifindex);
          this.tracked.set(e.link.ifindex, {
            iface: null,
            history: newHistory(e.at),
            deviations: [],
            finding: null,
            managed: false,
          });
        }
        this.queue.mark(e.link.ifindex);
        break;
      }
      case 'link-del':
        this.forget(e.ifindex);
        break;
      case 'features': {
        if (this.inflight.has(e.ifindex)) {
          // most likely our own change, notified before the set's answer: the verification read
          // decides (see finishSet); only a difference from it needs another look
          this.deferred.set(e.ifindex, e.features);
          break;
        }
        const prev = this.features.get(e.ifindex);
        this.features.set(e.ifindex, e.features);
        this.unknownFeatures.delete(e.ifindex);
        // our own verified change comes back as a notification: nothing new, nothing to do
        if (this.links.has(e.ifindex) && !(prev && sameFeatures(prev, e.features))) this.queue.mark(e.ifindex);
        break;
      }
      case 'overrun':
        this.metrics.overrun(e.source);
        this.log('warn', 'netlink overrun: events lost, full resync', { source: e.source, ...(e.detail ? { detail: e.detail } : {}) });
        this.events.push({ action: 'overrun', source: e.source });
        this.resync('overrun');
        break;
    }
  }

  private forget(ifindex: number): void {
    this.deferred.delete(ifindex);
    this.links.delete(ifindex);
    this.features.delete(ifindex);
    this.unknownFeatures.delete(ifindex);
    this.drivers.delete(ifindex);
    this.tracked.delete(ifindex);
    this.metrics.remove(ifindex);
    const t = this.retryTimers.get(ifindex);
    if (t) clearTimeout(t);
    this.retryTimers.delete(ifindex);
  }

  // ---- the batch ----

  private async runBatch(b: Batch<number>): Promise<void> {
    const t0 = this.clock();
    this.metrics.batch();
    let keys: number[];
    if (b.full) {
      const triggers = [...this.pendingTriggers];
      this.pendingTriggers.clear();
      for (const t of triggers) this.metrics.resync(t);
      await this.fullRefresh(triggers);
      keys = [...this.links.keys()];
    } else {
      keys = b.keys.filter((k) => this.links.has(k));
      await this.refreshUnknown(keys);
    }
    const tRefreshed = this.clock();
    if (this.usesDriver()) await this.refreshDrivers(keys);
    await this.reconcile(keys);
    this.updateStateCounts();
    this.log('debug', 'batch', { keys: keys.length, full: b.full, refreshMs: round(tRefreshed - t0), totalMs: round(this.clock() - t0) });
  }

  private async fullRefresh(triggers: ResyncTrigger[]): Promise<void> {
    const [links, features] = await Promise.all([this.o.kernel.listLinks(), this.o.kernel.dumpFeatures()]);
    const seen = new Set<number>();
    for (const l of links) {
      seen.add(l.ifindex);
      this.links.set(l.ifindex, l);
      const f = features.get(l.ifindex);
      if (f) {
        this.features.set(l.ifindex, f);
        this.unknownFeatures.delete(l.ifindex);
      }
      if (!this.tracked.has(l.ifindex))
        this.tracked.set(l.ifindex, { iface: null, history: newHistory(null), deviations: [], finding: null, managed: false });
    }
    for (const k of [...this.links.keys()]) if (!seen.has(k)) this.forget(k);
    // an explicit request (reload, API, mode change) starts every back-off afresh
    if (triggers.some((t) => t === 'reload' || t === 'api' || t === 'mode')) {
      for (const t of this.tracked.values()) t.history = { ...t.history, attempts: 0, retryAt: null, gaveUp: false, reportedSig: null, reportedFixedSig: null };
    }
    this.events.push({ action: 'resync', triggers, interfaces: links.length });
    this.log('info', 'resync', { triggers, interfaces: links.length });
  }

  private async refreshUnknown(keys: number[]): Promise<void> {
    const unknown = keys.filter((k) => this.unknownFeatures.has(k));
    if (unknown.length === 0) return;
    if (unknown.length > (this.o.dumpThreshold ?? 64)) {
      const all = await this.o.kernel.dumpFeatures();
      for (const [k, f] of all) {
        if (!this.links.has(k)) continue;
        this.features.set(k, f);
        this.unknownFeatures.delete(k);
      }
      return;
    }
    await forEachLimit(unknown, this.o.concurrency ?? 32, async (k) => {
      const l = this.links.get(k);
      if (!l) return;
      try {
        const f = await this.o.kernel.getFeatures(l.name);
        if (this.links.get(k) === l || this.links.get(k)?.name === l.name) {
          this.features.set(k, f);
          this.unknownFeatures.delete(k);
        }
      } catch (e) {
        if (e instanceof KernelError && e.code === 'not-found') return; // gone; its DELLINK follows
        throw e;
      }
    });
  }

  private usesDriver(): boolean {
    return this.policy.rules.some((r) => r.select.driver || r.exclude?.driver);
  }
  private usesVm(): boolean {
    return this.policy.rules.some((r) => r.select.vmPlatform || r.exclude?.vmPlatform);
  }

  private async refreshDrivers(keys: number[]): Promise<void> {
    const missing = keys.filter((k) => !this.drivers.has(k));
    await forEachLimit(missing, this.o.concurrency ?? 32, async (k) => {
      const l = this.links.get(k);
      if (!l) return;
      try {
        this.drivers.set(k, await this.o.kernel.driverInfo(l.name));
      } catch {
        /* gone, or no driver: the selector simply does not match */
      }
    });
  }

  /** observe (slice) → desire → decide → apply → verify, for `keys`. */
  private async reconcile(keys: number[]): Promise<void> {
    if (keys.length === 0) return;
    const slice: LinkInfo[] = [];
    const inSlice = new Set<number>();
    const add = (k: number) => {
      const l = this.links.get(k);
      if (l && !inSlice.has(k)) {
        inSlice.add(k);
        slice.push(l);
      }
    };
    for (const k of keys) {
      add(k);
      const m = this.links.get(k)?.masterIndex;
      if (m !== null && m !== undefined) add(m); // the master's kind decides the role of a port
    }
    const features = new Map<number, FeatureMap>();
    for (const k of keys) {
      const f = this.features.get(k);
      if (f) features.set(k, f);
    }
    const obs = buildObservation({
      links: slice,
      features,
      drivers: this.drivers,
      vmIndex: this.usesVm() ? readVmIndex({}, slice.map((l) => l.name)) : undefined,
      backend: this.o.kernel.name === 'ethtool' ? 'ethtool' : 'netlink',
    });
    const desired = resolvePolicy(this.policy, obs);
    const want = new Map(desired.interfaces.map((d) => [d.ifindex, d]));
    const masters = new Set<number>();
    for (const l of this.links.values()) if (l.masterIndex !== null) masters.add(l.masterIndex);
    this.masters = masters;

    const sets: SetAction[] = [];
    const now = this.clock();
    for (const iface of obs.interfaces) {
      const t = this.tracked.get(iface.ifindex);
      if (!t) continue;
      const d = want.get(iface.ifindex) ?? null;
      const r = decide(iface, d, t.history, this.mode, now, this.backoff, masters.has(iface.ifindex));
      t.history = r.history;
      t.iface = iface;
      t.managed = d !== null;
      for (const a of r.actions) {
        if (a.kind === 'set') sets.push(a);
        else this.record(a, t);
      }
      this.writeSeries(t, d);
    }
    if (sets.length === 0) return;
    this.o.journal?.record(
      sets.map((s) => {
        const f = this.features.get(s.ifindex) ?? {};
        const before: Record<string, boolean> = {};
        for (const k of Object.keys(s.changes)) before[k] = f[k]?.requested ?? false;
        return { ifindex: s.ifindex, ifname: s.name, reason: s.reason, before, after: s.changes };
      }),
    );
    for (const s of sets) {
      this.metrics.enforcement(s.reason);
      this.inflight.add(s.ifindex);
    }
    try {
      if (this.o.kernel.setFeaturesMany) await this.applyMany(sets, want);
      else await forEachLimit(sets, this.o.concurrency ?? 32, (s) => this.applySet(s, want));
    } finally {
      for (const s of sets) {
        this.inflight.delete(s.ifindex);
        const n = this.deferred.get(s.ifindex);
        if (!n) continue;
        this.deferred.delete(s.ifindex);
        const cur = this.features.get(s.ifindex);
        if (this.links.has(s.ifindex) && !(cur && sameFeatures(cur, n))) {
          // which of the two is newer is unknowable: read again
          this.unknownFeatures.add(s.ifindex);
          this.queue.mark(s.ifindex);
        }
      }
    }
  }

  /**
   * Pipelined FEATURES_SETs without pre-read or reply (the planner already left fixed bits out),
   * then one verification read: a dump when the batch is a large part of the namespace, else GETs.
   */
  private async applyMany(sets: SetAction[], want: Map<number, DesiredInterface>): Promise<void> {
    const t0 = this.clock();
    const errs = await this.o.kernel.setFeaturesMany!(sets.map((s) => ({ ifname: s.name, changes: s.changes })));
    const t1 = this.clock();
    const done: SetAction[] = [];
    sets.forEach((s, i) => {
      const e = errs[i];
      if (e) this.setFailed(s, e);
      else done.push(s);
    });
    if (done.length === 0) return;
    const fresh = new Map<number, FeatureMap>();
    // a dump entry costs ~1/20 of a GET round trip
    if (done.length * 20 > this.links.size) {
      for (const [k, f] of await this.o.kernel.dumpFeatures()) fresh.set(k, f);
    } else {
      await forEachLimit(done, this.o.concurrency ?? 32, async (s) => {
        try {
          fresh.set(s.ifindex, await this.o.kernel.getFeatures(s.name));
        } catch (e) {
          if (!(e instanceof KernelError && e.code === 'not-found')) throw e;
        }
      });
    }
    const t2 = this.clock();
    for (const s of done) {
      const f = fresh.get(s.ifindex);
      if (!f) {
        this.forget(s.ifindex); // gone meanwhile
        continue;
      }
      if (this.links.has(s.ifindex)) this.features.set(s.ifindex, f);
      const notApplied = Object.entries(s.changes)
        .filter(([k, v]) => f[k] !== undefined && f[k]!.active !== v)
        .map(([k]) => k);
      this.finishSet(s, notApplied, want);
    }
    this.log('debug', 'sets', { n: sets.length, setMs: round(t1 - t0), verifyMs: round(t2 - t1), finishMs: round(this.clock() - t2), viaDump: done.length * 20 > this.links.size });
  }

  private setFailed(s: SetAction, e: unknown): void {
    const t = this.tracked.get(s.ifindex);
    if (!t) return;
    if (e instanceof KernelError && e.code === 'not-found') {
      this.forget(s.ifindex);
      return;
    }
    const msg = (e as Error).message;
    this.metrics.failure(e instanceof KernelError ? e.code : 'error');
    this.log('error', 'enforce failed', { interface: s.name, ifindex: s.ifindex, changes: s.changes, reason: s.reason, attempt: s.attempt, error: msg });
    this.events.push({ action: 'enforce-failed', interface: s.name, ifindex: s.ifindex, changes: s.changes, error: msg, attempt: s.attempt });
    this.scheduleRetry(s.ifindex, t.history.retryAt);
  }

  /** One set with the backend's setFeatures (its reply tells what did not apply). */
  private async applySet(s: SetAction, want: Map<number, DesiredInterface>): Promise<void> {
    if (!this.tracked.get(s.ifindex)) return;
    let notApplied: string[];
    try {
      notApplied = (await this.o.kernel.setFeatures(s.name, s.changes)).notApplied;
    } catch (e) {
      this.setFailed(s, e);
      return;
    }
    // The set reply says which asked-for bits did not end active as asked; the rest are.
    const cur = this.features.get(s.ifindex);
    if (cur) {
      const next: FeatureMap = { ...cur };
      for (const [k, v] of Object.entries(s.changes)) {
        const st = next[k];
        if (st) next[k] = { ...st, requested: v, active: notApplied.includes(k) ? st.active : v };
      }
      this.features.set(s.ifindex, next);
    }
    this.finishSet(s, notApplied, want);
  }

  /** Verified: compliant (delay sample, log) or not applied (re-read, back-off). */
  private finishSet(s: SetAction, notApplied: string[], want: Map<number, DesiredInterface>): void {
    const t = this.tracked.get(s.ifindex);
    if (!t) return;
    if (notApplied.length > 0) {
      this.metrics.failure('not-applied');
      this.log('warn', 'enforce not applied', { interface: s.name, ifindex: s.ifindex, changes: s.changes, notApplied, reason: s.reason, attempt: s.attempt });
      this.events.push({ action: 'not-applied', interface: s.name, ifindex: s.ifindex, notApplied, attempt: s.attempt });
      // re-read: the next decide tells held (a dependency / the tap's owner) from not sticking
      this.unknownFeatures.add(s.ifindex);
      this.scheduleRetry(s.ifindex, t.history.retryAt);
      this.queue.mark(s.ifindex);
      return;
    }
    const iface = t.iface ? { ...t.iface, features: this.features.get(s.ifindex) ?? t.iface.features } : null;
    let delayMs: number | null = null;
    if (iface) {
      const d = want.get(s.ifindex) ?? null;
      const r = decide(iface, d, t.history, this.mode, this.clock(), this.backoff, this.masters.has(s.ifindex));
      t.history = r.history;
      t.iface = iface;
      for (const a of r.actions) {
        if (a.kind === 'compliant') delayMs = a.delayMs;
        if (a.kind !== 'set') this.record(a, t, true);
      }
      this.writeSeries(t, d);
    }
    this.log('info', 'enforce', {
      interface: s.name,
      ifindex: s.ifindex,
      changes: s.changes,
      reason: s.reason,
      attempt: s.attempt,
      ...(delayMs !== null ? { delayMs: Math.round(delayMs * 1000) / 1000 } : {}),
    });
    this.events.push({ action: 'enforce', interface: s.name, ifindex: s.ifindex, changes: s.changes, reason: s.reason, attempt: s.attempt, delayMs });
  }

  private record(a: Exclude<Action, { kind: 'set' }>, t: Tracked, quiet = false): void {
    switch (a.kind) {
      case 'compliant':
        t.deviations = [];
        t.finding = null;
        if (a.delayMs !== null) this.metrics.observeDelay(a.delayMs / 1000);
        if (!quiet) this.log('debug', 'compliant', { interface: a.name, ifindex: a.ifindex, delayMs: a.delayMs });
        break;
      case 'report':
        // the state shows the most important finding (a fixed bit is the least)
        if (!t.finding || FINDING_RANK[a.finding] >= FINDING_RANK[t.finding]) {
          t.deviations = a.deviations;
          t.finding = a.finding;
        }
        this.metrics.finding(a.finding);
        if (a.drift) this.metrics.driftEvent(a.finding);
        this.log(a.finding === 'fixed' ? 'info' : 'warn', a.drift ? 'drift' : 'finding', {
          interface: a.name,
          ifindex: a.ifindex,
          finding: a.finding,
          mode: this.mode,
          deviations: a.deviations,
          ...(a.finding === 'guest-negotiated' ? { who: 'the tap owner (QEMU, from the guest\'s virtio negotiation)' } : {}),
        });
        this.events.push({ action: a.drift ? 'drift' : 'finding', interface: a.name, ifindex: a.ifindex, finding: a.finding, deviations: a.deviations });
        break;
      case 'retry-at':
        this.scheduleRetry(a.ifindex, a.at);
        break;
    }
  }

  private scheduleRetry(ifindex: number, at: number | null): void {
    if (at === null || this.retryTimers.has(ifindex)) return;
    const t = setTimeout(() => {
      this.retryTimers.delete(ifindex);
      if (this.links.has(ifindex)) this.queue.mark(ifindex);
    }, Math.max(0, at - this.clock()) + 1);
    t.unref();
    this.retryTimers.set(ifindex, t);
  }

  private writeSeries(t: Tracked, d: DesiredInterface | null): void {
    const iface = t.iface;
    if (!iface) return;
    if (!d) {
      this.metrics.remove(iface.ifindex);
      return;
    }
    const feats = Object.entries(d.features)
      .filter(([k]) => iface.features[k])
      .map(([feature, { value }]) => ({ feature, want: value, active: iface.features[feature]!.active }));
    this.metrics.setInterface(iface.ifindex, iface.name, iface.role, feats, t.history.state === 'compliant');
  }

  /** Called before each scrape: link deletions change the counts between batches. */
  updateStateCounts(): void {
    const counts: Partial<Record<IfaceState, number>> = {};
    for (const t of this.tracked.values()) {
      if (!t.iface) continue;
      counts[t.history.state] = (counts[t.history.state] ?? 0) + 1;
    }
    this.metrics.setStateCounts(counts);
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
    this.o.logger.log(level, msg, fields);
  }

  // ---- AgentApi ----

  state(): unknown {
    const interfaces = [...this.tracked.entries()]
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
      mode: this.mode,
      policy: { name: this.policy.name, source: this.policy.source },
      startedAt: this.startedAt,
      ready: this.ready,
      backend: this.o.kernel.name,
      counts,
      interfaces,
    };
  }

  eventsSince(since: number, limit: number): unknown {
    return { events: this.events.list(since, limit) };
  }

  health(): { ok: boolean; reason: string } {
    if (this.failed) return { ok: false, reason: `monitor failed: ${this.failed}` };
    if (!this.ready) return { ok: false, reason: 'first reconcile not finished' };
    return { ok: true, reason: 'ok' };
  }

  async reconcileNow(): Promise<unknown> {
    this.resync('api');
    await this.queue.idle();
    this.log('info', 'reconcile requested over the API');
    return (this.state() as { counts: unknown }).counts;
  }

  setMode(mode: Mode): unknown {
    const old = this.mode;
    this.mode = mode;
    this.metrics.setInfo(mode, this.policy.name);
    this.log('info', 'mode changed', { from: old, to: mode });
    this.events.push({ action: 'mode', from: old, to: mode });
    if (old !== mode) this.resync('mode');
    return { mode, previous: old };
  }

  getMode(): Mode {
    return this.mode;
  }
}

/** The HTTP layer's view of an agent. */
export function apiOf(agent: Agent): AgentApi {
  return {
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

const round = (ms: number) => Math.round(ms * 1000) / 1000;

function linkChanged(a: LinkInfo, b: LinkInfo): boolean {
  return a.name !== b.name || a.kind !== b.kind || a.masterIndex !== b.masterIndex || a.slaveKind !== b.slaveKind || a.physical !== b.physical || (a.tun?.type ?? null) !== (b.tun?.type ?? null);
}

function sameFeatures(a: FeatureMap, b: FeatureMap): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    const x = a[k]!;
    const y = b[k];
    if (!y || x.active !== y.active || x.requested !== y.requested || x.fixed !== y.fixed) return false;
  }
  return true;
}

const FINDING_RANK: Record<Finding, number> = { fixed: 0, held: 1, 'guest-negotiated': 1, 'non-compliant': 2, drift: 3, 'gave-up': 4 };
