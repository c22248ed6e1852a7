/**
 * Real Chromium (Debian's /usr/bin/chromium) driven by playwright-core, started inside a test's
 * network namespace through chromium-in-netns.sh, with a fresh profile directory per launch.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { compare, summarizeSamples } from '../../../src/bench/analyze.js';
import { charts } from '../../../src/bench/svg.js';
import type { BenchResult, Sample, TestName } from '../../../src/bench/types.js';

const WRAPPER = fileURLToPath(new URL('./chromium-in-netns.sh', import.meta.url));

/** Why the page tests cannot run here, or false. */
export const browserSkip: string | false = !existsSync('/usr/bin/chromium')
  ? 'needs Debian chromium (/usr/bin/chromium; scripts/test-deps.d/ui.list)'
  : false;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface NsBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchInNetns(ns: string, viewport = { width: 1400, height: 1000 }): Promise<NsBrowser> {
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'olc-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: WRAPPER,
      args: CHROMIUM_ARGS,
      headless: true,
      env: { ...process.env, OLC_UI_NETNS: ns },
      viewport,
      timeout: 60_000,
    });
  } catch (e) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** A bench results directory as `offloadctl bench --out` writes it (results.json and its SVG charts), from synthetic samples. */
export function writeBenchDir(dir: string): void {
  const samples: Sample[] = [];
  const on = [17.8, 17.2, 18.1];
  const off = [4.4, 4.6, 4.3];
  for (let r = 0; r < 3; r++) {
    samples.push(
      {
        round: r + 1,
        profile: 'offloads-on',
        test: 'tcp',
        startedAt: '',
        metrics: { gbps: on[r]!, senderCpu: 90, senderCpuPerGbps: 90 / on[r]!, hostCpu: 60 },
      },
      {
        round: r + 1,
        profile: 'tso-gso-off',
        test: 'tcp',
        startedAt: '',
        metrics: { gbps: off[r]!, senderCpu: 95, senderCpuPerGbps: 95 / off[r]!, hostCpu: 70 },
      },
    );
  }
  const profiles = ['offloads-on', 'tso-gso-off'];
  const tests: TestName[] = ['tcp'];
  const r: BenchResult = {
    startedAt: '2026-12-06T12:00:00Z',
    finishedAt: '2026-12-06T12:05:00Z',
    profiles,
    tests,
    durationSec: 5,
    repeat: 3,
    environment: { lab: 'netns', path: 'g1 → br0 → g2', appliedIn: 'olab-x-hv', kernel: '6.18', cpus: 2, notes: [] },
    samples,
    summary: summarizeSamples(samples, profiles, tests),
    comparisons: compare(samples, profiles, tests, { where: 'on the netns lab', seed: 1 }),
    restored: true,
  };
  writeFileSync(join(dir, 'results.json'), JSON.stringify(r, null, 2) + '\n');
  for (const [name, svg] of Object.entries(charts(r))) writeFileSync(join(dir, name), svg);
}

/** ethtool --json -k aggregate keys of the matrix columns. */
export const MATRIX_KEYS = [
  'tcp-segmentation-offload',
  'generic-segmentation-offload',
  'generic-receive-offload',
  'large-receive-offload',
  'scatter-gather',
  'tx-checksumming',
  'rx-checksumming',
];
