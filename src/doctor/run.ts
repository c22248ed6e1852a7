import type { Observation } from '../model/types.js';
import type { Forwarding, InterfaceCounters } from '../kernel/stats.js';
import { computeRates, counterFindings } from './counters.js';
import { builtinKnownProblems, knownProblemFindings } from './known-problems.js';
import type { LogSource, LogSourceOptions } from './log-sources.js';
import { scanLog } from './log-scan.js';
import { confirmKnownProblems, logFindings, rankFindings } from './report.js';
import { builtinSignatures } from './signatures.js';
import { topologyChecks } from './topology.js';
import { citeMeasuredEffects } from './measured-effect.js';
import type { EffectReport } from '../effect/analyze.js';
import type { CheckNote, CounterRate, DoctorReport, Finding, LogHit, LogScanResult, Signature } from './types.js';

export type DoctorCheck = 'logs' | 'counters' | 'topology';
export const ALL_CHECKS: readonly DoctorCheck[] = ['logs', 'counters', 'topology'];

export interface DoctorOptions {
  checks: ReadonlySet<DoctorCheck>;
  kernelLog?: string;
  /** Only log lines from the last N seconds. */
  sinceSeconds?: number | null;
  /** Seconds between the two counter samples. */
  intervalSeconds: number;
  extraSignatures?: readonly Signature[];
  /** Restrict to interfaces this accepts (--interface globs). */
  selectInterface?: (name: string) => boolean;
}

/** The I/O the doctor needs, injected so the pipeline is testable without root. */
export interface DoctorDeps {
  observe: () => Promise<Observation>;
  openLog: (opts: LogSourceOptions) => Promise<LogSource>;
  readCounters: (
    ifnames: readonly string[],
    opts: { detailedFor?: ReadonlySet<string> },
  ) => Promise<InterfaceCounters[]>;
  readForwarding: () => Promise<Forwarding>;
  sleep: (ms: number) => Promise<void>;
  nowMs: () => number;
  monotonicMs: () => number;
  /** What this host's recordings measured around offload changes (offloadctl effect); optional. */
  readEffects?: () => Promise<EffectReport[]>;
}

/** Detailed counters (every sysfs file, tx_timeout, one ethtool -S process each) only for real NICs, at most this many. */
const MAX_DRIVER_STATS = 64;

export async function runDoctor(opts: DoctorOptions, deps: DoctorDeps): Promise<DoctorReport> {
  const takenAt = new Date(deps.nowMs()).toISOString();
  const signatures = [...builtinSignatures(), ...(opts.extraSignatures ?? [])];
  const notes: string[] = [];
  const findings: Finding[] = [];
  const checks: CheckNote[] = [];
  const select = opts.selectInterface ?? (() => true);

  const needObservation = opts.checks.has('counters') || opts.checks.has('topology');
  let obs: Observation | null = null;
  if (needObservation) {
    const full = await deps.observe();
    obs = { ...full, interfaces: full.interfaces.filter((i) => select(i.name)) };
  }

  // Start the first counter sample before reading the log: the log scan then overlaps the interval.
  let counterPromise: Promise<{ rates: CounterRate[]; interfaces: number }> | null = null;
  if (opts.checks.has('counters') && obs) {
    counterPromise = sampleRates(obs, opts.intervalSeconds, deps);
    // Awaited below; if reading the log fails first, this must not become an unhandled rejection.
    counterPromise.catch(() => undefined);
  }

  let log: LogScanResult | null = null;
  let hits: LogHit[] = [];
  if (opts.checks.has('logs')) {
    const sinceMs = opts.sinceSeconds != null ? deps.nowMs() - opts.sinceSeconds * 1000 : null;
    const src = await deps.openLog({ kernelLog: opts.kernelLog, sinceMs });
    log = await scanLog(src.lines, {
      signatures,
      source: src.source,
      sinceMs,
      bootMs: src.bootMs,
      nowMs: deps.nowMs(),
    });
    hits = log.hits.filter((h) => !h.ifname || !opts.selectInterface || select(h.ifname));
    findings.push(...logFindings(hits, signatures, obs));
  }

  let counters: DoctorReport['counters'] = null;
  if (counterPromise) {
    const { rates, interfaces } = await counterPromise;
    counters = { intervalSeconds: opts.intervalSeconds, interfaces, rates };
    findings.push(...counterFindings(rates));
  }

  if (opts.checks.has('topology') && obs) {
    const forwarding = await deps.readForwarding();
    const t = topologyChecks(obs, { forwarding });
    findings.push(...t.findings);
    checks.push(...t.checks);
    const problems = builtinKnownProblems();
    findings.push(...knownProblemFindings(obs.interfaces, problems));
    confirmKnownProblems(findings, hits, problems, signatures);
    if (forwarding.ipv4 || forwarding.ipv6)
      notes.push(
        `IP forwarding is on (${forwarding.ipv4 ? 'ipv4' : ''}${forwarding.ipv4 && forwarding.ipv6 ? ', ' : ''}${forwarding.ipv6 ? 'ipv6' : ''})`,
      );
  }

  let logMeta: DoctorReport['log'] = null;
  if (log) {
    const { hits: _h, ...rest } = log;
    logMeta = rest;
    notes.push(...log.notes);
  }
  let cited = findings;
  if (deps.readEffects) {
    const effects = await deps.readEffects().catch((e: Error) => {
      notes.push(`recordings not read: ${e.message}`);
      return [];
    });
    cited = citeMeasuredEffects(findings, effects);
    if (effects.length)
      notes.push(
        `${effects.length} measured offload change(s) from recordings cited where they concern a finding's interfaces`,
      );
  }
  return { takenAt, findings: rankFindings(cited), checks, log: logMeta, counters, notes };
}

async function sampleRates(
  obs: Observation,
  intervalSeconds: number,
  deps: DoctorDeps,
): Promise<{ rates: CounterRate[]; interfaces: number }> {
  const names = obs.interfaces.filter((i) => i.role !== 'loopback').map((i) => i.name);
  if (intervalSeconds <= 0 || names.length === 0) return { rates: [], interfaces: names.length };
  const nics = obs.interfaces
    .filter((i) => i.role === 'uplink' || i.role === 'physical' || i.role === 'bond')
    .map((i) => i.name);
  const detailedFor = new Set(nics.slice(0, MAX_DRIVER_STATS));
  const t0 = deps.monotonicMs();
  const a = await deps.readCounters(names, { detailedFor });
  const t1 = deps.monotonicMs();
  // Sleep the rest of the interval (reading may itself take a while on big hosts).
  await deps.sleep(Math.max(0, intervalSeconds * 1000 - (t1 - t0)));
  const t2 = deps.monotonicMs();
  const b = await deps.readCounters(names, { detailedFor });
  const t3 = deps.monotonicMs();
  // Each sample's time is the middle of its reading.
  const rates = computeRates({ atMs: (t0 + t1) / 2, interfaces: a }, { atMs: (t2 + t3) / 2, interfaces: b });
  return { rates, interfaces: names.length };
}
