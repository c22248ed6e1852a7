import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import picomatch from 'picomatch';
import type { GlobalOptions } from '../model/global-options.js';
import { OffloadError } from '../model/errors.js';
import { parseDuration } from '../model/duration.js';
import { exitCodeFor } from './report.js';
import { ALL_CHECKS, runDoctor, type DoctorCheck, type DoctorDeps } from './run.js';
import { parseSignatureFile } from './signatures.js';
import type { Severity, Signature } from './types.js';

export interface DoctorCommandOptions {
  kernelLog?: string;
  since?: string;
  interval: string;
  checks?: string;
  interface?: string[];
  signatures?: string[];
  failOn: Severity;
  verbose?: boolean;
  json?: boolean;
  /** Recordings (STATE_DIR/effect/*.jsonl) whose measured effects findings cite. */
  stateDir: string;
  /** A running agent whose recording findings cite. */
  agent?: string;
}

function parseChecks(text: string | undefined, kernelLog: string | undefined): Set<DoctorCheck> {
  // A saved log is usually another host's (or another boot's): do not mix in this host's state.
  if (text === undefined) return new Set(kernelLog !== undefined ? ['logs'] : ALL_CHECKS);
  const out = new Set<DoctorCheck>();
  for (const c of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!(ALL_CHECKS as readonly string[]).includes(c)) {
      throw new OffloadError('usage', `unknown check "${c}": use ${ALL_CHECKS.join(', ')}`);
    }
    out.add(c as DoctorCheck);
  }
  if (out.size === 0) throw new OffloadError('usage', '--checks needs at least one of ' + ALL_CHECKS.join(', '));
  return out;
}

function loadSignatureFiles(files: readonly string[] | undefined): Signature[] {
  const out: Signature[] = [];
  for (const f of files ?? []) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      throw new OffloadError(
        'input',
        `cannot read signatures file ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    out.push(...parseSignatureFile(text, f));
  }
  return out;
}

export async function doctorCommand(opts: DoctorCommandOptions, g: GlobalOptions): Promise<number> {
  const checks = parseChecks(opts.checks, opts.kernelLog);
  const interval = Number(opts.interval);
  if (!Number.isFinite(interval) || interval < 0 || interval > 3600) {
    throw new OffloadError(
      'usage',
      `--interval must be a number of seconds between 0 and 3600, not "${opts.interval}"`,
    );
  }
  const sinceSeconds = opts.since !== undefined ? parseDuration(opts.since) : null;
  const extraSignatures = loadSignatureFiles(opts.signatures);
  const globs = opts.interface ?? [];
  const selectInterface = globs.length > 0 ? picomatch(globs) : undefined;

  const [{ observe }, logSources, stats, out, table, render] = await Promise.all([
    import('../host/observe-once.js'),
    import('./log-sources.js'),
    import('../kernel/stats.js'),
    import('../render/print.js'),
    import('../render/table.js'),
    import('./render.js'),
  ]);
  const deps: DoctorDeps = {
    observe: () => observe(g, {}),
    openLog: logSources.openLogSource,
    readCounters: stats.readCounters,
    readForwarding: stats.readForwarding,
    sleep: (ms) => sleep(ms),
    nowMs: () => Date.now(),
    monotonicMs: () => performance.now(),
    // A saved kernel log alone is usually another host's: cite this host's measurements only when
    // the doctor is looking at this host.
    readEffects:
      checks.has('counters') || checks.has('topology')
        ? () => readMeasuredEffects(opts.stateDir, opts.agent)
        : undefined,
  };
  const report = await runDoctor(
    { checks, kernelLog: opts.kernelLog, sinceSeconds, intervalSeconds: interval, extraSignatures, selectInterface },
    deps,
  );
  if (opts.json || g.json) out.printJson(report);
  else process.stdout.write(render.renderReport(report, table.renderTable, { verbose: opts.verbose }));
  return exitCodeFor(report, opts.failOn);
}

/** The most recent recordings of this host (at most 5 files, or the agent's ring) → measured changes. */
async function readMeasuredEffects(
  stateDir: string,
  agent: string | undefined,
): Promise<import('../effect/analyze.js').EffectReport[]> {
  const [{ listRecordingFiles, readRecordingFile }, { fetchAgentRecording }, { measuredEffects }] = await Promise.all([
    import('../effect/recording-file.js'),
    import('../effect/source.js'),
    import('../effect/measured.js'),
  ]);
  const recs = agent
    ? [await fetchAgentRecording(agent)]
    : listRecordingFiles(stateDir).slice(-5).map(readRecordingFile);
  return measuredEffects(recs, { windowMs: 30_000, settleMs: 2000, limit: 20 });
}
