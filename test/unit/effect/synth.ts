import { Recorder } from '../../../src/effect/recorder.js';
import type { HostCounters } from '../../../src/kernel/host-counters.js';
import type { Recording } from '../../../src/effect/types.js';

/** Per second, per interface: [rxBytes, txBytes, rxPackets, txPackets, drops, errors]. */
export type Rates = Record<string, [number, number, number, number, number, number]>;

export interface Phase {
  seconds: number;
  rates: Rates;
  /** softirq + system ticks per second (split evenly). */
  cpuTicks: number;
  /** Multiplicative noise amplitude per sample (0 = none), deterministic. */
  noise?: number;
}

/**
 * A recording built through the real Recorder from synthetic cumulative counters: phase after
 * phase, one sample a second, starting at t0.
 */
export function synthRecording(phases: Phase[], t0 = 1_700_000_000_000): Recording {
  let t = t0;
  const totals = new Map<string, number[]>();
  const cpu = [0, 0, 0, 0, 0, 0, 0, 0];
  let k = 0;
  const readings: HostCounters[] = [];
  const snapshot = (): HostCounters => ({
    at: t,
    links: new Map([...totals].map(([n, v]) => [n, Float64Array.from(v)])),
    cpu: Float64Array.from(cpu),
    netRx: 0,
    netTx: 0,
  });
  for (const p of phases) for (const n of Object.keys(p.rates)) if (!totals.has(n)) totals.set(n, [0, 0, 0, 0, 0, 0]);
  readings.push(snapshot());
  for (const p of phases) {
    for (let s = 0; s < p.seconds; s++) {
      const f = 1 + (p.noise ?? 0) * Math.sin(++k * 12.9898);
      for (const [n, r] of Object.entries(p.rates)) {
        const v = totals.get(n)!;
        for (let i = 0; i < 6; i++) v[i]! += Math.round(r[i]! * (i < 4 ? f : 1));
      }
      cpu[2]! += Math.round((p.cpuTicks / 2) * f);
      cpu[6]! += Math.round((p.cpuTicks / 2) * f);
      t += 1000;
      readings.push(snapshot());
    }
  }
  const rec = new Recorder({
    intervalMs: 1000,
    capacity: 10_000,
    read: async () => readings[0]!,
    hostname: 'h',
    netns: null,
  });
  for (const r of readings) rec.add(r);
  return rec.recording();
}
