/** Plain data of a benchmark run: what was measured, per profile, per test, per round. */

export type { Metrics, TestName } from '../lab/traffic-metrics.js';
export { ALL_TESTS } from '../lab/traffic-metrics.js';
import type { Metrics, TestName } from '../lab/traffic-metrics.js';

export type MetricName = keyof Metrics;

export interface MetricInfo {
  label: string;
  unit: string;
  better: 'higher' | 'lower';
}

export const METRICS: Record<MetricName, MetricInfo> = {
  gbps: { label: 'throughput', unit: 'Gbit/s', better: 'higher' },
  retransmits: { label: 'retransmits', unit: '', better: 'lower' },
  senderCpu: { label: 'sender CPU', unit: '%', better: 'lower' },
  receiverCpu: { label: 'receiver CPU', unit: '%', better: 'lower' },
  hostCpu: { label: 'host CPU (/proc/stat)', unit: '%', better: 'lower' },
  senderCpuPerGbps: { label: 'sender CPU per Gbit/s', unit: '%/Gbit/s', better: 'lower' },
  receiverCpuPerGbps: { label: 'receiver CPU per Gbit/s', unit: '%/Gbit/s', better: 'lower' },
  lossPct: { label: 'loss', unit: '%', better: 'lower' },
  jitterMs: { label: 'jitter', unit: 'ms', better: 'lower' },
  rttP50Us: { label: 'rr latency p50', unit: 'µs', better: 'lower' },
  rttP90Us: { label: 'rr latency p90', unit: 'µs', better: 'lower' },
  rttP99Us: { label: 'rr latency p99', unit: 'µs', better: 'lower' },
  tps: { label: 'rr transactions/s', unit: '', better: 'higher' },
};

/** The metrics a test's verdicts are about, in order of importance. */
export const HEADLINE: Record<TestName, MetricName[]> = {
  tcp: ['gbps', 'senderCpuPerGbps'],
  'tcp-reverse': ['gbps', 'senderCpuPerGbps'],
  'tcp-multi': ['gbps', 'senderCpuPerGbps'],
  udp: ['gbps', 'lossPct'],
  rr: ['rttP50Us', 'rttP99Us'],
};

export interface Sample {
  round: number;
  profile: string;
  test: TestName;
  startedAt: string;
  metrics: Metrics;
  /** Set when the run failed; metrics are then empty. */
  error?: string;
}

export interface MetricSummary {
  n: number;
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
}

export interface Comparison {
  test: TestName;
  metric: MetricName;
  baseline: string;
  candidate: string;
  ratio: number;
  low: number;
  high: number;
  confidence: number;
  verdict: 'better' | 'worse' | 'no-difference' | 'unknown';
  text: string;
}

export interface BenchEnvironment {
  lab: 'netns' | 'vm' | 'server';
  /** What the traffic crosses, in words ("guest ns vm1 → br0 → guest ns vm2"). */
  path: string;
  /** Namespace whose interfaces the profiles were applied to ("" = the current one). */
  appliedIn: string;
  /** vm lab: the accelerator QEMU ran with. TCG timings only compare with other TCG timings. */
  accelerator?: 'kvm' | 'tcg';
  kernel: string;
  cpus: number;
  notes: string[];
}

export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  profiles: string[];
  tests: TestName[];
  durationSec: number;
  repeat: number;
  environment: BenchEnvironment;
  samples: Sample[];
  /** profile → test → metric → summary */
  summary: Record<string, Partial<Record<TestName, Partial<Record<MetricName, MetricSummary>>>>>;
  comparisons: Comparison[];
  /** Whether the interfaces were returned to their state from before the bench. */
  restored: boolean;
  restoreError?: string;
}
