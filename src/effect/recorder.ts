import { COUNTER_NAMES, CPU_FIELDS, type HostCounters } from '../kernel/host-counters.js';
import { ROW_WIDTH, type ChangeMark, type Recording, type SampleDelta } from './types.js';

const WIDTH = COUNTER_NAMES.length;

/** A sample as held in memory: the rows in typed arrays (4 bytes a counter, 4 an index). */
interface StoredSample {
  t: number;
  dt: number;
  cpu: Float64Array;
  netRx: number;
  netTx: number;
  index: Uint32Array;
  values: Float32Array;
}

export interface RecorderOptions {
  intervalMs: number;
  /** Samples kept; the oldest is dropped when full. */
  capacity: number;
  read: () => Promise<HostCounters>;
  hostname: string;
  netns: string | null;
  /** Marks kept (oldest dropped). */
  markCapacity?: number;
  /** Called after each sample is stored (e.g. to append it to a file). */
  onSample?: (s: SampleDelta, newNames: string[]) => void;
}

/**
 * Samples every interface's counters and the host's CPU split at a fixed interval into a bounded
 * ring of deltas. An interval's deltas are stored only for interfaces whose counters moved, as
 * float32 (exact to 16 M per interval, ~7 significant digits beyond): 1,000 busy interfaces cost
 * 28 bytes each per sample; idle ones nothing.
 * A counter that went backwards (an interface deleted and re-created under the same name) counts
 * from zero again.
 */
export class Recorder {
  private readonly ring: (StoredSample | undefined)[];
  private head = 0;
  private count = 0;
  private readonly names: string[] = [];
  private readonly nameIndex = new Map<string, number>();
  private readonly marks: ChangeMark[] = [];
  private prev: HostCounters | null = null;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  readonly startedAt = Date.now();
  /** Samples skipped because the previous read had not finished (a stalled /proc read). */
  skipped = 0;

  constructor(private readonly o: RecorderOptions) {
    this.ring = new Array(o.capacity);
  }

  start(): void {
    if (this.timer) return;
    void this.sampleOnce();
    this.timer = setInterval(() => void this.sampleOnce(), this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Read the counters once and store the delta since the previous read. */
  async sampleOnce(): Promise<void> {
    if (this.busy) {
      this.skipped++;
      return;
    }
    this.busy = true;
    try {
      this.add(await this.o.read());
    } finally {
      this.busy = false;
    }
  }

  /** Store the delta from the previous reading to `cur` (exposed for tests and replays). */
  add(cur: HostCounters): void {
    const prev = this.prev;
    this.prev = cur;
    if (!prev) return;
    const index: number[] = [];
    const values: number[] = [];
    const newNames: string[] = [];
    for (const [name, c] of cur.links) {
      const p = prev.links.get(name);
      if (!p) continue; // first sight: a baseline only
      let moved = false;
      const d = new Array<number>(WIDTH);
      for (let i = 0; i < WIDTH; i++) {
        const v = c[i]! >= p[i]! ? c[i]! - p[i]! : c[i]!;
        d[i] = v;
        if (v !== 0) moved = true;
      }
      if (!moved) continue;
      let idx = this.nameIndex.get(name);
      if (idx === undefined) {
        idx = this.names.push(name) - 1;
        this.nameIndex.set(name, idx);
        newNames.push(name);
      }
      index.push(idx);
      values.push(...d);
    }
    const s: StoredSample = {
      t: cur.at,
      dt: cur.at - prev.at,
      cpu: cur.cpu.map((v, i) => Math.max(0, v - prev.cpu[i]!)),
      netRx: Math.max(0, cur.netRx - prev.netRx),
      netTx: Math.max(0, cur.netTx - prev.netTx),
      index: Uint32Array.from(index),
      values: Float32Array.from(values),
    };
    this.ring[this.head] = s;
    this.head = (this.head + 1) % this.o.capacity;
    this.count = Math.min(this.count + 1, this.o.capacity);
    this.o.onSample?.(toDelta(s), newNames);
  }

  mark(m: ChangeMark): void {
    this.marks.push(m);
    const cap = this.o.markCapacity ?? 10_000;
    if (this.marks.length > cap) this.marks.splice(0, this.marks.length - cap);
  }

  /** The samples (oldest first) whose interval ends in [from, to], with the marks in that range. */
  recording(from = -Infinity, to = Infinity): Recording {
    const samples: SampleDelta[] = [];
    const start = (this.head - this.count + this.o.capacity) % this.o.capacity;
    for (let i = 0; i < this.count; i++) {
      const s = this.ring[(start + i) % this.o.capacity]!;
      if (s.t >= from && s.t <= to) samples.push(toDelta(s));
    }
    return {
      version: 1,
      hostname: this.o.hostname,
      netns: this.o.netns,
      intervalMs: this.o.intervalMs,
      startedAt: this.startedAt,
      names: [...this.names],
      samples,
      marks: this.marks.filter((m) => m.at >= from && m.at <= to),
    };
  }

  /** The most recent sample, or null before the second reading. */
  latest(): SampleDelta | null {
    if (this.count === 0) return null;
    return toDelta(this.ring[(this.head - 1 + this.o.capacity) % this.o.capacity]!);
  }

  nameOf(index: number): string {
    return this.names[index] ?? '?';
  }

  get sampleCount(): number {
    return this.count;
  }

  /** Bytes held by the samples' arrays (the JS object overhead, ~150 bytes a sample, not counted). */
  storedBytes(): number {
    let n = 0;
    for (const s of this.ring) if (s) n += s.index.byteLength + s.values.byteLength + s.cpu.byteLength;
    return n;
  }
}

function toDelta(s: StoredSample): SampleDelta {
  const rows: number[] = [];
  for (let r = 0; r < s.index.length; r++) {
    rows.push(s.index[r]!);
    for (let i = 0; i < WIDTH; i++) rows.push(s.values[r * WIDTH + i]!);
  }
  return { t: s.t, dt: s.dt, cpu: Array.from(s.cpu), netRx: s.netRx, netTx: s.netTx, rows };
}

export { CPU_FIELDS, ROW_WIDTH };
