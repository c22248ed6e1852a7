import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Finding, IfaceState, Mode } from './reconcile.js';
import { DEFAULT_METRICS_SELECTION, interfaceFilter, type MetricsSelection } from './metrics-selection.js';

/** One interface's series as written at the next scrape. */
interface IfaceSeries {
  name: string;
  role: string;
  /** The owning VM's name (or id) when known, else '' (Prometheus drops an empty label). */
  vm: string;
  /** null: the policy does not manage it (exported only in the full matrix). */
  compliant: boolean | null;
  features: { feature: string; active: boolean; want: boolean | null }[];
}

/**
 * The agent's Prometheus metrics, on a registry of its own. Label sets stay bounded: per-interface
 * series exist only for interfaces the policy manages and only for the features it manages, and are
 * deleted when the interface goes away (interfaces come and go with VMs; stale series would grow
 * without bound on a busy host).
 */
export class AgentMetrics {
  readonly registry = new Registry();
  private readonly compliant: Gauge<'interface' | 'role' | 'vm'>;
  private readonly featureActive: Gauge<'interface' | 'feature'>;
  private readonly featureCompliant: Gauge<'interface' | 'feature'>;
  /** Which interfaces and features get series (--metrics-* options). */
  readonly selection: MetricsSelection;
  private readonly wanted: (name: string, role: string) => boolean;
  private readonly interfaces: Gauge<'state'>;
  private readonly enforcements: Counter<'reason'>;
  private readonly drift: Counter<'finding'>;
  private readonly portDrift: Counter<'interface' | 'vm'>;
  /** ifindex → drift events seen on that VM port (series only for ports that drifted: bounded). */
  private readonly portDrifts = new Map<number, number>();
  private readonly failures: Counter<'reason'>;
  private readonly findings: Counter<'finding'>;
  private readonly overruns: Counter<'source'>;
  private readonly resyncs: Counter<'trigger'>;
  private readonly batches: Counter;
  private readonly events: Counter<'type'>;
  private readonly delay: Histogram;
  private readonly info: Gauge<'mode' | 'policy'>;
  private readonly journalErrors: Counter<'code'>;
  /** ifindex → the label values last written, so removal deletes exactly those series. */
  private readonly series = new Map<number, IfaceSeries>();
  private stateCounts: Record<string, number> = {};
  /**
   * Counts of the per-event counters, kept here and handed to prom-client at scrape time (collect):
   * three kernel events and an enforcement per new tap, and prom-client's label handling per inc
   * cost more than the rest of the event's bookkeeping.
   */
  private readonly eventCounts = new Map<string, number>();
  private readonly enforcementCounts = new Map<string, number>();

  constructor(opts: { defaultMetrics?: boolean; selection?: MetricsSelection } = {}) {
    const registers = [this.registry];
    this.selection = opts.selection ?? DEFAULT_METRICS_SELECTION;
    this.wanted = interfaceFilter(this.selection);
    // Per-interface gauges are written at scrape time from `series` (collect): no per-event cost,
    // and an interface removed from `series` has no series at the next scrape.
    const series = this.series;
    this.compliant = new Gauge({
      name: 'offloadctl_interface_compliant',
      help: '1 when the interface has the offloads the policy wants (fixed bits excepted), 0 otherwise; vm: the owning VM when known.',
      labelNames: ['interface', 'role', 'vm'],
      registers,
      collect() {
        this.reset();
        for (const s of series.values()) {
          if (s.compliant === null) continue;
          // no vm label at all when unknown (prom-client would print vm="")
          this.set(
            s.vm ? { interface: s.name, role: s.role, vm: s.vm } : { interface: s.name, role: s.role },
            s.compliant ? 1 : 0,
          );
        }
      },
    });
    this.featureActive = new Gauge({
      name: 'offloadctl_feature_active',
      help: 'Active state (1 on, 0 off) of each offload feature the policy manages on a managed interface (every feature of every interface with --metrics-features all).',
      labelNames: ['interface', 'feature'],
      registers,
      collect() {
        this.reset();
        for (const s of series.values())
          for (const f of s.features) this.set({ interface: s.name, feature: f.feature }, f.active ? 1 : 0);
      },
    });
    this.featureCompliant = new Gauge({
      name: 'offloadctl_feature_compliant',
      help: '1 when the feature is active as the policy wants, 0 otherwise.',
      labelNames: ['interface', 'feature'],
      registers,
      collect() {
        this.reset();
        for (const s of series.values())
          for (const f of s.features)
            if (f.want !== null) this.set({ interface: s.name, feature: f.feature }, f.active === f.want ? 1 : 0);
      },
    });
    this.interfaces = new Gauge({
      name: 'offloadctl_interfaces',
      help: 'Interfaces the agent watches, by reconcile state.',
      labelNames: ['state'],
      registers,
    });
    const enforcementCounts = this.enforcementCounts;
    this.enforcements = new Counter({
      name: 'offloadctl_enforcements_total',
      help: 'Feature changes (FEATURES_SET) the agent made, by why: new link, drift, resync, retry.',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, n] of enforcementCounts) this.inc({ reason }, n);
      },
    });
    this.drift = new Counter({
      name: 'offloadctl_drift_events_total',
      help: 'Compliant interfaces whose features changed behind the agent (by anyone).',
      labelNames: ['finding'],
      registers,
    });
    // Exported at 0 from the start: increase()/rate() see the first drift only if the series
    // existed before it (a series born at 1 has no increase).
    for (const finding of ['drift', 'non-compliant'] as const) this.drift.inc({ finding }, 0);
    const portDrifts = this.portDrifts;
    this.portDrift = new Counter({
      name: 'offloadctl_vm_port_drift_events_total',
      help: 'Drift events per VM port (tap/vnet/vif/macvtap): a guest whose QEMU keeps re-enabling offloads the policy turns off. Only ports that drifted have a series.',
      labelNames: ['interface', 'vm'],
      registers,
      collect() {
        this.reset();
        for (const [ifindex, n] of portDrifts) {
          const s = series.get(ifindex);
          if (s?.role === 'vm-port') this.inc(s.vm ? { interface: s.name, vm: s.vm } : { interface: s.name }, n);
        }
      },
    });
    this.failures = new Counter({
      name: 'offloadctl_enforcement_failures_total',
      help: 'Feature changes that failed or did not stick, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.findings = new Counter({
      name: 'offloadctl_findings_total',
      help: 'Reported findings (non-compliant, drift, held, guest-negotiated, fixed, gave-up).',
      labelNames: ['finding'],
      registers,
    });
    this.overruns = new Counter({
      name: 'offloadctl_monitor_overruns_total',
      help: 'Netlink socket overruns (ENOBUFS): events were lost and a full resync followed.',
      labelNames: ['source'],
      registers,
    });
    this.resyncs = new Counter({
      name: 'offloadctl_resyncs_total',
      help: 'Full dumps and reconciles, by trigger (startup, overrun, reload, api).',
      labelNames: ['trigger'],
      registers,
    });
    this.batches = new Counter({
      name: 'offloadctl_reconcile_batches_total',
      help: 'Reconcile batches run (bursts of events coalesce into one batch).',
      registers,
    });
    const eventCounts = this.eventCounts;
    this.events = new Counter({
      name: 'offloadctl_kernel_events_total',
      help: 'Kernel events received, by type.',
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        for (const [type, n] of eventCounts) this.inc({ type }, n);
      },
    });
    this.delay = new Histogram({
      name: 'offloadctl_enforcement_delay_seconds',
      help: 'Delay from receipt of a new link event to the link verified compliant.',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.info = new Gauge({
      name: 'offloadctl_agent_info',
      help: 'Always 1; labels carry the agent mode and policy name.',
      labelNames: ['mode', 'policy'],
      registers,
    });
    this.journalErrors = new Counter({
      name: 'offloadctl_journal_write_errors_total',
      help: 'Change-journal writes that failed (full disk, I/O error), by errno code; enforcement went on without the record.',
      labelNames: ['code'],
      registers,
    });
    if (opts.defaultMetrics !== false) processMetrics(this.registry);
  }

  setInfo(mode: Mode, policy: string): void {
    this.info.reset();
    this.info.set({ mode, policy }, 1);
  }

  /**
   * Record the per-interface series of one interface (written out at the next scrape). `compliant`
   * null: not managed by the policy. `all`: every feature's active state, for the full matrix.
   * Interfaces the selection leaves out get none.
   */
  setInterface(
    ifindex: number,
    name: string,
    role: string,
    features: { feature: string; active: boolean; want: boolean }[],
    compliant: boolean | null,
    extra: { vm?: string | null; all?: Readonly<Record<string, { active: boolean }>> } = {},
  ): void {
    if (!this.wanted(name, role) || (compliant === null && this.selection.features !== 'all')) {
      this.series.delete(ifindex);
      return;
    }
    let feats: IfaceSeries['features'] = this.selection.features === 'none' ? [] : features;
    if (this.selection.features === 'all' && extra.all) {
      const want = new Map(features.map((f) => [f.feature, f.want]));
      feats = Object.entries(extra.all).map(([feature, { active }]) => ({
        feature,
        active,
        want: want.get(feature) ?? null,
      }));
    }
    this.series.set(ifindex, { name, role, vm: extra.vm ?? '', compliant, features: feats });
  }

  /** The full matrix is asked for: unmanaged interfaces get series too. */
  get allFeatures(): boolean {
    return this.selection.features === 'all';
  }

  /** Forget every series of an interface (it was removed, or the policy no longer manages it). */
  remove(ifindex: number): void {
    this.series.delete(ifindex);
    this.portDrifts.delete(ifindex);
  }

  seriesCount(): number {
    return this.series.size;
  }

  setStateCounts(counts: Partial<Record<IfaceState, number>>): void {
    for (const k of Object.keys(this.stateCounts)) if (!(k in counts)) this.interfaces.set({ state: k }, 0);
    for (const [k, v] of Object.entries(counts)) this.interfaces.set({ state: k }, v ?? 0);
    this.stateCounts = { ...counts };
  }

  enforcement(reason: string): void {
    this.enforcementCounts.set(reason, (this.enforcementCounts.get(reason) ?? 0) + 1);
  }
  /** A drift reported (report mode, or a finding); `ifindex` counts it for that interface too. */
  driftEvent(finding: Finding, ifindex?: number): void {
    this.drift.inc({ finding });
    if (ifindex !== undefined) this.interfaceDrift(ifindex);
  }
  /** A feature change behind the agent's back on this interface (exported for VM ports only). */
  interfaceDrift(ifindex: number): void {
    this.portDrifts.set(ifindex, (this.portDrifts.get(ifindex) ?? 0) + 1);
  }
  failure(reason: string): void {
    this.failures.inc({ reason });
  }
  finding(finding: Finding): void {
    this.findings.inc({ finding });
  }
  overrun(source: string): void {
    this.overruns.inc({ source });
  }
  resync(trigger: string): void {
    this.resyncs.inc({ trigger });
  }
  batch(): void {
    this.batches.inc();
  }
  event(type: string): void {
    this.eventCounts.set(type, (this.eventCounts.get(type) ?? 0) + 1);
  }
  journalWriteError(code: string): void {
    this.journalErrors.inc({ code });
  }
  observeDelay(seconds: number): void {
    this.delay.observe(seconds);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * Process metrics (RSS, CPU, heap, event-loop lag), a subset of prom-client's defaults written
 * here because those defaults fail `promtool check metrics` (gauges named *_total:
 * nodejs_active_handles_total ...). Names follow prom-client's, so existing dashboards work.
 */
const LAG_RESOLUTION_MS = 10;

function processMetrics(registry: Registry): void {
  const registers = [registry];
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  lag.enable();
  const start = Date.now() / 1000 - process.uptime();
  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  new Gauge({
    name: 'nodejs_heap_size_used_bytes',
    help: 'V8 heap in use, bytes.',
    registers,
    collect() {
      this.set(process.memoryUsage().heapUsed);
    },
  });
  new Gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since the Unix epoch, seconds.',
    registers,
  }).set(start);
  let lastCpu = 0;
  new Counter({
    name: 'process_cpu_seconds_total',
    help: 'User and system CPU time spent, seconds.',
    registers,
    collect() {
      const u = process.cpuUsage();
      const total = (u.user + u.system) / 1e6;
      if (total > lastCpu) this.inc(total - lastCpu);
      lastCpu = total;
    },
  });
  // Event-loop lag since the last scrape (reset after each read, like prom-client). The first of
  // the three gauges takes the snapshot: a registry collects metrics in registration order.
  const snap = { p50: 0, p99: 0, max: 0 };
  new Gauge({
    name: 'nodejs_eventloop_lag_p50_seconds',
    help: 'Event-loop lag, median since the last scrape, seconds.',
    registers,
    collect() {
      // The histogram records timer intervals (perf_hooks ELDHistogram): subtract the resolution.
      const ok = lag.count > 0;
      const sec = (ns: number) => (ok ? Math.max(0, ns / 1e9 - LAG_RESOLUTION_MS / 1000) : 0);
      snap.p50 = sec(lag.percentile(50));
      snap.p99 = sec(lag.percentile(99));
      snap.max = sec(lag.max);
      lag.reset();
      this.set(snap.p50);
    },
  });
  new Gauge({
    name: 'nodejs_eventloop_lag_p99_seconds',
    help: 'Event-loop lag, 99th percentile since the last scrape, seconds.',
    registers,
    collect() {
      this.set(snap.p99);
    },
  });
  new Gauge({
    name: 'nodejs_eventloop_lag_max_seconds',
    help: 'Event-loop lag, maximum since the last scrape, seconds.',
    registers,
    collect() {
      this.set(snap.max);
    },
  });
}
