import { runIperfClient } from '../lab/iperf.js';
import { runRrClient } from '../lab/rr.js';
import { busyPercent, readCpuTimes } from './cpu.js';
import type { ProfileApplier } from './profile-applier.js';
import type { BenchTarget } from './targets.js';
import type { Metrics, Sample, TestName } from './types.js';

/**
 * The measuring loop: rounds of profiles, interleaved A B A B … so that machine noise (other
 * tenants, thermal, page cache) hits every profile alike; within a profile every test once.
 */

export interface Progress {
  done: number;
  total: number;
  round: number;
  rounds: number;
  profile: string;
  test: TestName | null;
  /** Seconds left, from the average time per run so far (null before the first run ends). */
  etaSec: number | null;
}

export interface LoopOptions {
  profiles: readonly string[];
  tests: readonly TestName[];
  duration: number;
  repeat: number;
  udpRate?: string;
  streams?: number;
  onProgress?: (p: Progress) => void;
  /** Checked between runs: true stops the loop early (Ctrl-C). */
  aborted?: () => boolean;
  log?: (m: string) => void;
  /** The runner of one test (default runOne: iperf3 / rr for real); unit tests pass a fake. */
  runTest?: (target: BenchTarget, test: TestName, o: LoopOptions) => Promise<Metrics>;
}

export async function runOne(target: BenchTarget, test: TestName, o: LoopOptions): Promise<Metrics> {
  const before = readCpuTimes();
  let m: Metrics;
  if (test === 'rr') {
    if (target.rrPort === null) throw new Error(target.unsupported.rr ?? 'no rr server');
    m = await runRrClient(target.clientNs, target.serverAddr, target.rrPort, o.duration);
  } else {
    m = await runIperfClient(target.clientNs, test, target.serverAddr, target.iperfPort, {
      duration: o.duration,
      udpRate: o.udpRate,
      streams: o.streams,
    });
  }
  const host = busyPercent(before, readCpuTimes());
  if (Number.isFinite(host)) m.hostCpu = host;
  return m;
}

export async function measureLoop(target: BenchTarget, applier: ProfileApplier, o: LoopOptions): Promise<Sample[]> {
  const tests = o.tests.filter((t) => !target.unsupported[t]);
  const total = o.repeat * o.profiles.length * tests.length;
  const samples: Sample[] = [];
  const t0 = Date.now();
  let done = 0;
  const eta = () => (done ? ((Date.now() - t0) / 1000 / done) * (total - done) : null);
  for (let round = 1; round <= o.repeat; round++) {
    for (const profile of o.profiles) {
      if (o.aborted?.()) return samples;
      o.onProgress?.({ done, total, round, rounds: o.repeat, profile, test: null, etaSec: eta() });
      await applier.apply(profile);
      for (const test of tests) {
        if (o.aborted?.()) return samples;
        o.onProgress?.({ done, total, round, rounds: o.repeat, profile, test, etaSec: eta() });
        const startedAt = new Date().toISOString();
        try {
          samples.push({ round, profile, test, startedAt, metrics: await (o.runTest ?? runOne)(target, test, o) });
        } catch (e) {
          const error = (e as Error).message.split('\n')[0]!;
          if (!o.aborted?.()) o.log?.(`bench: ${profile} ${test} round ${round} failed: ${error}`);
          samples.push({ round, profile, test, startedAt, metrics: {}, error });
        }
        done++;
      }
    }
  }
  o.onProgress?.({
    done,
    total,
    round: o.repeat,
    rounds: o.repeat,
    profile: o.profiles.at(-1) ?? '',
    test: null,
    etaSec: 0,
  });
  return samples;
}
