import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OffloadError } from '../model/errors.js';
import { compare, summarizeSamples } from './analyze.js';
import { cliApplier, policyArgs, type ProfileApplier } from './profile-applier.js';
import { measureLoop, type Progress } from './run.js';
import { netnsLabTarget, serverTarget, vmLabTarget, type BenchTarget } from './targets.js';
import { ALL_TESTS, type BenchResult, type Sample, type TestName } from './types.js';

/**
 * `offloadctl bench`: set up a target, apply each profile in turn through the apply pipeline, measure,
 * and — whatever happens, Ctrl-C included — restore the interfaces and take the target down.
 */

export interface BenchOptions {
  lab?: 'netns' | 'vm';
  /** Use this existing lab instead of a temporary one. */
  labName?: string;
  server?: string;
  port?: number;
  rrPort?: number;
  profiles: string[];
  tests: TestName[];
  duration: number;
  repeat: number;
  udpRate?: string;
  streams?: number;
  /** Where apply keeps its snapshots; labs default to a temporary folder. */
  stateDir?: string;
  interfaces?: string[];
  backend?: string;
  accel?: 'auto' | 'kvm' | 'tcg';
  seed?: number;
  onProgress?: (p: Progress) => void;
  log?: (m: string) => void;
}

export function parseTests(list: string): TestName[] {
  const out: TestName[] = [];
  for (const t of list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (t === 'all') return [...ALL_TESTS];
    if (!(ALL_TESTS as readonly string[]).includes(t)) {
      throw new OffloadError('usage', `unknown test "${t}" (tests: ${ALL_TESTS.join(', ')}, all)`);
    }
    if (!out.includes(t as TestName)) out.push(t as TestName);
  }
  if (!out.length) throw new OffloadError('usage', '--tests needs at least one test');
  return out;
}

export function parseProfiles(list: string): string[] {
  const out = [
    ...new Set(
      list
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (!out.length) throw new OffloadError('usage', '--profiles needs at least one profile');
  return out;
}

/** Refuse typos before anything is built: every profile must load. */
async function checkProfiles(profiles: readonly string[]): Promise<void> {
  const { loadPolicy } = await import('../policy/index.js');
  for (const p of profiles) {
    const [flag, value] = policyArgs(p);
    loadPolicy(flag === '--policy' ? { file: value } : { profile: value });
  }
}

export function validate(o: BenchOptions): void {
  if (o.lab && o.server) throw new OffloadError('usage', '--lab and --server cannot be used together');
  if (o.labName && o.server) throw new OffloadError('usage', '--lab-name needs --lab, not --server');
  if (!Number.isFinite(o.duration) || o.duration < 1 || !Number.isInteger(o.duration))
    throw new OffloadError('usage', '--duration must be a whole number of seconds, at least 1');
  if (!Number.isInteger(o.repeat) || o.repeat < 1)
    throw new OffloadError('usage', '--repeat must be a whole number, at least 1');
}

/**
 * While the bench runs, Ctrl-C/SIGTERM stop it after the current run, then restore and tear down.
 * Other handlers (src/lab/netns.ts's last-resort cleanup exits at once) are set aside and only run on
 * a second signal; `reclaim` sets aside handlers registered meanwhile (lab up registers one).
 */
function takeOverSignals(onStop: () => void): { release: () => void; reclaim: () => void } {
  const sigs = ['SIGINT', 'SIGTERM'] as const;
  const saved: Record<(typeof sigs)[number], ((...a: unknown[]) => void)[]> = { SIGINT: [], SIGTERM: [] };
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      process.stderr.write(
        `\noffloadctl bench: ${sig}: stopping after this run, restoring the interfaces, taking down what the bench started…\n`,
      );
      onStop();
    } else {
      // A second signal: give up waiting, let the last-resort cleanup run.
      for (const l of saved[sig as 'SIGINT' | 'SIGTERM'] ?? []) l(sig);
      process.exit(130);
    }
  };
  const reclaim = () => {
    for (const sig of sigs) {
      for (const l of process.listeners(sig)) {
        if (l === handler) continue;
        saved[sig].push(l as (...a: unknown[]) => void);
        process.removeListener(sig, l);
      }
      if (!process.listeners(sig).includes(handler)) process.on(sig, handler);
    }
  };
  reclaim();
  return {
    reclaim,
    release: () => {
      for (const sig of sigs) {
        process.removeListener(sig, handler);
        for (const l of saved[sig]) process.on(sig, l);
      }
    },
  };
}

export async function runBenchmark(o: BenchOptions): Promise<BenchResult> {
  validate(o);
  await checkProfiles(o.profiles);
  const log = o.log ?? (() => {});
  const startedAt = new Date().toISOString();
  let aborted = false;
  const signals = takeOverSignals(() => (aborted = true));
  const tempState = o.server || o.stateDir ? null : mkdtempSync(join(tmpdir(), 'offloadctl-bench-'));
  const stateDir = o.stateDir ?? tempState ?? '/var/lib/offloadctl';
  let target: BenchTarget | null = null;
  let applier: ProfileApplier | null = null;
  let samples: Sample[] = [];
  let restored = true;
  let restoreError: string | undefined;
  try {
    target = o.server
      ? serverTarget({ server: o.server, port: o.port, rrPort: o.rrPort })
      : o.lab === 'vm'
        ? await vmLabTarget({ labName: o.labName, accel: o.accel, log })
        : await netnsLabTarget({ labName: o.labName, log });
    signals.reclaim();
    for (const t of o.tests) if (target.unsupported[t]) log(`bench: skipping ${t}: ${target.unsupported[t]}`);
    applier = cliApplier({ netns: target.applyNs, stateDir, interfaces: o.interfaces, backend: o.backend });
    if (!aborted) {
      samples = await measureLoop(target, applier, {
        profiles: o.profiles,
        tests: o.tests,
        duration: o.duration,
        repeat: o.repeat,
        udpRate: o.udpRate,
        streams: o.streams,
        onProgress: o.onProgress,
        aborted: () => aborted,
        log,
      });
    }
  } finally {
    if (applier) {
      const r = await applier.restoreAll();
      restored = r.ok;
      if (!r.ok) {
        restoreError = r.errors.join('; ');
        log(
          `bench: RESTORE FAILED: ${restoreError} (snapshots kept in ${stateDir}: offloadctl restore --state-dir ${stateDir})`,
        );
      }
    }
    if (target) await target.teardown().catch((e) => log(`bench: teardown: ${(e as Error).message}`));
    if (tempState && restored) rmSync(tempState, { recursive: true, force: true });
    signals.release();
  }
  if (aborted) {
    throw new OffloadError(
      'system',
      `interrupted; ${restored ? 'interfaces restored' : 'RESTORE FAILED'}; servers, guests and temporary labs removed`,
    );
  }
  const env = target!.environment;
  const where =
    env.lab === 'server'
      ? 'on this host'
      : `on the ${env.lab} lab${env.accelerator ? ` (${env.accelerator.toUpperCase()})` : ''}`;
  const tests = o.tests.filter((t) => !target!.unsupported[t]);
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    profiles: o.profiles,
    tests,
    durationSec: o.duration,
    repeat: o.repeat,
    environment: env,
    samples,
    summary: summarizeSamples(samples, o.profiles, tests),
    comparisons: compare(samples, o.profiles, tests, { where, seed: o.seed }),
    restored,
    ...(restoreError ? { restoreError } : {}),
  };
}
