import { hostname } from 'node:os';
import { Gauge, type Registry } from 'prom-client';
import { readHostCounters, USER_HZ, CPU_FIELDS } from '../kernel/host-counters.js';
import { Recorder } from '../effect/recorder.js';
import { formatRecording } from '../effect/recording-file.js';
import { ROW_WIDTH, type ChangeMark, type MarkSource } from '../effect/types.js';
import type { AgentEvent, EventRing } from './events.js';

/**
 * The agent's passive recorder (`offloadctl effect --agent URL`): counters of every interface and
 * the host's CPU split, sampled every `intervalMs` into a ring of `retentionMs`, with a mark for
 * every offload change the agent makes (enforce) or finds (drift). Sampling is one read of
 * /proc/net/dev, /proc/stat and /proc/softirqs on a timer, never on the event path.
 */
export interface AgentRecorderOptions {
  intervalMs: number;
  retentionMs: number;
  netns: string | null;
  /** Interfaces with the most traffic that get per-interface gauges (bounded cardinality). */
  topInterfaces: number;
}

/** Event actions that are offload changes, and the mark they make. */
const MARKING: Record<string, MarkSource> = { enforce: 'agent', drift: 'drift' };
const GATHER_MS = 250;

export class AgentRecorder {
  readonly recorder: Recorder;
  private pending = new Map<MarkSource, Set<string>>();
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: AgentRecorderOptions) {
    this.recorder = new Recorder({
      intervalMs: o.intervalMs,
      capacity: Math.max(2, Math.ceil(o.retentionMs / o.intervalMs)),
      read: () => readHostCounters(),
      hostname: hostname(),
      netns: o.netns,
    });
  }

  start(events: EventRing): void {
    events.subscribe((e) => this.onEvent(e));
    this.recorder.start();
  }

  stop(): void {
    this.recorder.stop();
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }

  /** Per-event cost: a Set add; marks are written in one go a little later. */
  private onEvent(e: AgentEvent): void {
    const source = MARKING[e.action];
    if (!source || typeof e.interface !== 'string') return;
    let set = this.pending.get(source);
    if (!set) this.pending.set(source, (set = new Set()));
    set.add(e.interface);
    this.flushTimer ??= setTimeout(() => this.flush(), GATHER_MS).unref();
  }

  private flush(): void {
    this.flushTimer = null;
    const at = Date.now() - GATHER_MS;
    for (const [source, names] of this.pending)
      this.recorder.mark({ at, source, interfaces: [...names].sort() } satisfies ChangeMark);
    this.pending.clear();
  }

  /** The ring as recording-file lines (GET /api/effect/recording?from=MS&to=MS). */
  recordingText(from?: number, to?: number): string {
    return formatRecording(this.recorder.recording(from, to));
  }

  /**
   * Gauges computed at scrape time from the last minute of samples: the average packet size per
   * direction for the `topInterfaces` busiest interfaces (not every port: a host of 2,000 taps must
   * not cost 4,000 series), and the host's softirq + system CPU seconds per GB moved.
   */
  registerMetrics(registry: Registry): void {
    const rec = this.recorder;
    const top = this.o.topInterfaces;
    const windowMs = 60_000;
    const recent = () => rec.recording(Date.now() - windowMs);
    new Gauge({
      name: 'offloadctl_interface_avg_packet_bytes',
      help: `Average packet size over the last minute (bytes/packets), per direction, for the ${top} interfaces that moved the most bytes. Large on a port with TSO/GSO in use; at most an MTU frame without.`,
      labelNames: ['interface', 'direction'],
      registers: [registry],
      collect() {
        this.reset();
        const r = recent();
        const sums = new Map<number, number[]>();
        for (const s of r.samples) {
          for (let i = 0; i < s.rows.length; i += ROW_WIDTH) {
            const v = sums.get(s.rows[i]!) ?? [0, 0, 0, 0];
            for (let k = 0; k < 4; k++) v[k]! += s.rows[i + 1 + k]!;
            sums.set(s.rows[i]!, v);
          }
        }
        const busiest = [...sums]
          .filter(([idx]) => r.names[idx] !== 'lo')
          .sort((a, b) => b[1][0]! + b[1][1]! - (a[1][0]! + a[1][1]!))
          .slice(0, top);
        for (const [idx, [rxB, txB, rxP, txP]] of busiest) {
          if (rxP! > 0) this.set({ interface: r.names[idx]!, direction: 'rx' }, rxB! / rxP!);
          if (txP! > 0) this.set({ interface: r.names[idx]!, direction: 'tx' }, txB! / txP!);
        }
      },
    });
    const sys = CPU_FIELDS.indexOf('system');
    const soft = CPU_FIELDS.indexOf('softirq');
    new Gauge({
      name: 'offloadctl_host_cpu_seconds_per_gigabyte',
      help: 'Host softirq + system CPU seconds per GB moved ((Σ rx + Σ tx bytes) / 2 over every interface but lo) over the last minute; absent without traffic.',
      registers: [registry],
      collect() {
        this.reset();
        const r = recent();
        let cpu = 0;
        let bytes = 0;
        for (const s of r.samples) {
          cpu += ((s.cpu[sys] ?? 0) + (s.cpu[soft] ?? 0)) / USER_HZ;
          for (let i = 0; i < s.rows.length; i += ROW_WIDTH)
            if (r.names[s.rows[i]!] !== 'lo') bytes += (s.rows[i + 1]! + s.rows[i + 2]!) / 2;
        }
        if (bytes > 1e6) this.set(cpu / (bytes / 1e9));
      },
    });
    new Gauge({
      name: 'offloadctl_recorder_samples',
      help: "Samples held by the agent's passive recorder (offloadctl effect --agent).",
      registers: [registry],
      collect() {
        this.set(rec.sampleCount);
      },
    });
  }
}
