import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { run } from '../../src/kernel/exec.js';
import type { BenchResult } from '../../src/bench/types.js';
import { BENCH_TIMEOUT_MS, benchLab } from './bench-helpers.js';
import { listNetns } from '../../src/lab/netns.js';
import { CLI, cli, haveCli, isRoot } from './helpers/cli.js';
import { oracleAll } from './helpers/oracle.js';

/**
 * A short bench of offloads-on vs tso-gso-off on a netns lab: both profiles measured, the lab's
 * hypervisor namespace back to its exact state afterwards (oracle: ethtool --json -k), and the
 * throughput ratio in the direction the kernel gives (software segmentation at the port is slower).
 */

const skip = !isRoot
  ? 'needs root (network namespaces)'
  : !haveCli()
    ? 'needs `npm run build` (bench applies profiles through bin/offloadctl)'
    : false;
const out = mkdtempSync(join(tmpdir(), 'olc-bench-out-'));
const { name, hv, env } = benchLab('bt', skip, 4, [out]);
const opts = { env, timeoutMs: BENCH_TIMEOUT_MS };

test('bench offloads-on vs tso-gso-off on a netns lab: both measured, lab restored, offloads-on faster', {
  skip,
}, async () => {
  const beforeState = await oracleAll(hv);
  const r = await cli(
    [
      'bench',
      '--lab',
      'netns',
      '--lab-name',
      name,
      '--profiles',
      'offloads-on,tso-gso-off',
      '--tests',
      'tcp',
      '--duration',
      '1',
      '--repeat',
      '3',
      '--json',
      '--out',
      out,
    ],
    opts,
  );
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as BenchResult;
  assert.equal(res.restored, true);
  for (const p of ['offloads-on', 'tso-gso-off']) {
    const s = res.summary[p]?.tcp?.gbps;
    assert.ok(s && s.n === 3 && s.median > 0, `${p} has three TCP throughput runs`);
  }
  // Direction only: with TSO/GSO off, br0 → vif2.0 segments every GSO packet in software.
  assert.ok(res.summary['tso-gso-off']!.tcp!.gbps!.median < res.summary['offloads-on']!.tcp!.gbps!.median);
  const c = res.comparisons.find((x) => x.test === 'tcp' && x.metric === 'gbps')!;
  assert.ok(c.ratio < 1);
  assert.equal(res.environment.appliedIn, hv);
  // The oracle: every feature of every interface in the hypervisor namespace as before.
  assert.deepEqual(await oracleAll(hv), beforeState);
  // --out: JSON, report and charts; the SVGs render (rsvg-convert when installed).
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).profiles, [
    'offloads-on',
    'tso-gso-off',
  ]);
  for (const f of ['report.txt', 'throughput.svg', 'cpu-per-gbit.svg', 'host-cpu.svg'])
    assert.ok(existsSync(join(out, f)), f);
  const rsvg = await run(['sh', '-c', 'command -v rsvg-convert']);
  if (rsvg.code === 0) {
    const png = await run(['rsvg-convert', '-o', join(out, 'throughput.png'), join(out, 'throughput.svg')]);
    assert.equal(png.code, 0, png.stderr);
  }
});

test('bench on a temporary lab leaves no namespace behind; table output by default', { skip }, async () => {
  const nsBefore = new Set(await listNetns());
  const r = await cli(
    ['bench', '--tests', 'rr', '--profiles', 'offloads-on,tso-gso-off', '--duration', '1', '--repeat', '1'],
    opts,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /rr latency p50 µs/);
  assert.match(r.stdout, /interfaces restored to their state before the bench/);
  // The temporary lab named in the report's path line is gone (other test files may run in parallel).
  const lab = /path: (olab-bench[0-9a-z]+)-g1/.exec(r.stdout)?.[1];
  assert.ok(lab, r.stdout);
  assert.deepEqual(
    (await listNetns()).filter((n) => !nsBefore.has(n) && n.startsWith(`${lab}-`)),
    [],
  );
});

test('bench refuses an unknown profile before building anything (exit 2)', { skip }, async () => {
  const r = await cli(['bench', '--profiles', 'offloads-on,tso-gso-of', '--duration', '1', '--repeat', '1'], opts);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown profile "tso-gso-of"/);
  assert.doesNotMatch(r.stderr, /bringing up a temporary netns lab/);
});

test('Ctrl-C in the middle of a bench: the lab is restored (oracle) and the exit code says interrupted', {
  skip,
}, async () => {
  const beforeState = await oracleAll(hv);
  // Its own process group, like a terminal's foreground job: SIGINT reaches the bench and its children.
  const child = spawn(
    process.execPath,
    [CLI, 'bench', '--lab-name', name, '--lab', 'netns', '--tests', 'tcp', '--duration', '2', '--repeat', '5'],
    {
      env: { ...process.env, ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  await new Promise((res) => setTimeout(res, 4500)); // mid-way: a profile applied, a run going
  process.kill(-child.pid!, 'SIGINT');
  const code = await exited;
  assert.equal(code, 3, stderr);
  assert.match(stderr, /interrupted; interfaces restored/);
  assert.deepEqual(await oracleAll(hv), beforeState);
  for (const g of [`olab-${name}-g1`, `olab-${name}-g2`]) {
    assert.equal((await run(['ip', 'netns', 'pids', g])).stdout.trim(), '', `no process left in ${g}`);
  }
});
