import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Observation } from '../../model/types.js';
import { runDoctor, type DoctorCheck, type DoctorDeps } from '../../doctor/run.js';
import type { DoctorReport } from '../../doctor/types.js';

/**
 * The page's measurements: the latest `offloadctl bench --out DIR` results (results.json and the
 * charts it rendered, *.svg), and the doctor's findings on the agent's current observation.
 */

export interface BenchView {
  dir: string;
  results: unknown;
  charts: string[];
}

const CHART = /^[A-Za-z0-9._-]+\.svg$/;

/** DIR itself when it holds results.json, else its newest subdirectory that does; null: none. */
export function latestBenchDir(dir: string): string | null {
  if (existsSync(join(dir, 'results.json'))) return dir;
  let best: { path: string; mtime: number } | null = null;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return null;
  }
  for (const e of entries) {
    const p = join(dir, e, 'results.json');
    try {
      const m = statSync(p).mtimeMs;
      if (!best || m > best.mtime) best = { path: join(dir, e), mtime: m };
    } catch {
      /* no results here */
    }
  }
  return best?.path ?? null;
}

export function readBench(dir: string): BenchView | null {
  const d = latestBenchDir(dir);
  if (!d) return null;
  const results = JSON.parse(readFileSync(join(d, 'results.json'), 'utf8')) as unknown;
  const charts = readdirSync(d)
    .filter((f) => CHART.test(f))
    .sort();
  return { dir: d, results, charts };
}

/** One chart of the latest results; null when the name is not a chart there (no path tricks: a plain file name). */
export function readChart(dir: string, name: string): Buffer | null {
  if (!CHART.test(name)) return null;
  const d = latestBenchDir(dir);
  if (!d) return null;
  try {
    return readFileSync(join(d, name));
  } catch {
    return null;
  }
}

/**
 * The doctor's checks on what the agent sees now: topology (pure, over the agent's observation) and,
 * with `logs`, the kernel log of the last `sinceSeconds` (default a day). No counter sampling (it
 * would hold the request for seconds).
 */
export async function doctorOnAgent(
  observe: () => Observation,
  opts: { logs: boolean; sinceSeconds?: number },
): Promise<DoctorReport> {
  const [logSources, stats] = await Promise.all([
    import('../../doctor/log-sources.js'),
    import('../../kernel/stats.js'),
  ]);
  const deps: DoctorDeps = {
    observe: async () => observe(),
    openLog: logSources.openLogSource,
    readCounters: stats.readCounters,
    readForwarding: stats.readForwarding,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    nowMs: () => Date.now(),
    monotonicMs: () => performance.now(),
  };
  const checks = new Set<DoctorCheck>(['topology']);
  if (opts.logs) checks.add('logs');
  return runDoctor({ checks, intervalSeconds: 0, sinceSeconds: opts.sinceSeconds ?? 86_400 }, deps);
}
