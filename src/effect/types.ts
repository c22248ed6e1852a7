/**
 * A passive recording of the host's traffic counters and CPU split, plain data: what `effect record`
 * writes, what the agent's recorder serves, and what the effect analysis reads.
 */

/** One sampling interval: the counters' increase over (t - dt, t]. */
export interface SampleDelta {
  /** End of the interval, ms since the epoch. */
  t: number;
  /** Interval length in ms. */
  dt: number;
  /** Host CPU ticks spent per CPU_FIELDS (src/kernel/host-counters.ts), summed over CPUs. */
  cpu: number[];
  netRx: number;
  netTx: number;
  /**
   * Interfaces whose counters moved, flat: [nameIndex, rx_bytes, tx_bytes, rx_packets, tx_packets,
   * drops, errors, nameIndex, ...]. Idle interfaces cost nothing.
   */
  rows: number[];
}

export type MarkSource = 'apply' | 'restore' | 'agent' | 'drift' | 'kernel';

/** An offload change the recorder made or saw: when, on which interfaces. */
export interface ChangeMark {
  at: number;
  source: MarkSource;
  interfaces: string[];
  /** A snapshot id (apply/restore) when known. */
  id?: string;
  detail?: string;
}

export interface Recording {
  version: 1;
  hostname: string;
  /** Namespace the counters were read in (null: the process's own, usually the host's). */
  netns: string | null;
  intervalMs: number;
  startedAt: number;
  /** Interface names referenced by SampleDelta.rows. */
  names: string[];
  samples: SampleDelta[];
  marks: ChangeMark[];
}

export const ROW_WIDTH = 7;
