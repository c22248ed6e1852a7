import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/kernel/exec.js';
import type { EffectReport } from '../../src/effect/analyze.js';
import { benchLab } from './bench-helpers.js';
import { CLI, cli, skipReason } from './helpers/cli.js';

/**
 * `effect` on a netns lab, against the kernel's and iperf3's own counts: steady TCP from guest g1
 * across br0 to guest g2 while `apply --profile tso-gso-off` runs in the middle. Oracles: `ip -s -j
 * link` (the kernel's rtnl_link_stats64) and iperf3's byte count.
 */

const skip = skipReason('iperf3');
const state = mkdtempSync(join(tmpdir(), 'olc-effect-state-'));
const { hv, env } = benchLab('ef', skip, 3, [state]);
const G1 = hv.replace(/-hv$/, '-g1');
const G2 = hv.replace(/-hv$/, '-g2');
const G2_IP = '10.77.1.2';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LinkStats {
  tx: { bytes: number; packets: number };
  rx: { bytes: number; packets: number };
}

async function linkStats(ns: string, dev: string): Promise<LinkStats> {
  const r = await run(['ip', '-n', ns, '-s', '-j', 'link', 'show', 'dev', dev]);
  assert.equal(r.code, 0, r.stderr);
  const l = (JSON.parse(r.stdout) as { stats64: LinkStats }[])[0]!;
  return l.stats64;
}

function startRecorder(file: string, seconds: number): ChildProcess {
  return spawn(
    process.execPath,
    [
      CLI,
      '--netns',
      hv,
      'effect',
      'record',
      '--duration',
      `${seconds}s`,
      '--interval',
      '500ms',
      '--output',
      file,
      '--state-dir',
      state,
    ],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

async function untilSamples(file: string, n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (existsSync(file) && (readFileSync(file, 'utf8').match(/^\{"s":/gm) ?? []).length >= n) return;
    await sleep(100);
  }
  throw new Error(`recording ${file} has fewer than ${n} samples after 20 s`);
}

function exited(p: ChildProcess): Promise<number | null> {
  return p.exitCode !== null ? Promise.resolve(p.exitCode) : new Promise((r) => p.once('exit', (c) => r(c)));
}

async function iperfServer(port: number): Promise<void> {
  const r = await run(['ip', 'netns', 'exec', G2, 'iperf3', '-s', '-1', '-D', '-p', String(port)]);
  assert.equal(r.code, 0, r.stderr);
  await sleep(300);
}

function iperfClient(port: number, seconds: number): Promise<{ bytes: number }> {
  return run(['ip', 'netns', 'exec', G1, 'iperf3', '-c', G2_IP, '-p', String(port), '-t', String(seconds), '-J'], {
    timeoutMs: (seconds + 30) * 1000,
  }).then((r) => {
    assert.equal(r.code, 0, r.stderr);
    return { bytes: (JSON.parse(r.stdout) as { end: { sum_sent: { bytes: number } } }).end.sum_sent.bytes };
  });
}

async function effect(args: string[]): Promise<EffectReport> {
  const r = await cli(['--netns', hv, 'effect', '--state-dir', state, '--json', ...args], { env });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as EffectReport;
}

test('tso-gso-off under steady traffic: TX packets on the egress port fall to an MTU, CPU per GB rises', {
  skip,
  timeout: 180_000,
}, async () => {
  const file = join(state, 'steady.jsonl');
  const rec = startRecorder(file, 20);
  try {
    await untilSamples(file, 2);
    await iperfServer(5411);
    const before = await linkStats(hv, 'vif2.0');
    const client = iperfClient(5411, 12);
    await sleep(6000);
    const apply = await cli(['--netns', hv, 'apply', '--profile', 'tso-gso-off', '--yes', '--state-dir', state], {
      env,
    });
    assert.equal(apply.code, 0, apply.stderr);
    // Oracle for the after-window: the kernel's own counters over 3 s of it.
    await sleep(2500);
    const a0 = await linkStats(hv, 'vif2.0');
    await sleep(3000);
    const a1 = await linkStats(hv, 'vif2.0');
    const sent = await client;
    const after = await linkStats(hv, 'vif2.0');
    assert.equal(await exited(rec), 0);

    const oracleAfterSize = (a1.tx.bytes - a0.tx.bytes) / (a1.tx.packets - a0.tx.packets);
    assert.ok(oracleAfterSize <= 1514, `the kernel counts MTU-sized frames after the change (${oracleAfterSize})`);

    const r = await effect(['--change', 'last', '--recording', file, '--window', '4s', '--settle', '1s']);
    assert.equal(r.verdict, 'changed', r.summary);
    const v2 = r.interfaces.find((e) => e.name === 'vif2.0')!;
    assert.ok(v2.changed);
    assert.ok(v2.before.tx.avgPacketBytes! > 10_000, `GSO super-packets before (${v2.before.tx.avgPacketBytes})`);
    assert.ok(v2.after.tx.avgPacketBytes! <= 1514, `at most an MTU frame after (${v2.after.tx.avgPacketBytes})`);
    assert.ok(
      Math.abs(v2.after.tx.avgPacketBytes! - oracleAfterSize) / oracleAfterSize < 0.02,
      'same size as the kernel counted',
    );
    assert.ok(r.cpuPerGb!.ratio > 1, `CPU per GB moved rises, as bench measures on this lab (${r.cpuPerGb!.ratio})`);
    assert.match(r.summary, /average TX packet size on vif2\.0 fell/);

    // The whole recording against the kernel's and iperf3's counts: every byte accounted for.
    const recording = (await import('../../src/effect/recording-file.js')).readRecordingFile(file);
    const idx = recording.names.indexOf('vif2.0');
    let recorded = 0;
    for (const s of recording.samples)
      for (let i = 0; i < s.rows.length; i += 7) if (s.rows[i] === idx) recorded += s.rows[i + 2]!;
    const kernel = after.tx.bytes - before.tx.bytes;
    assert.ok(Math.abs(recorded - kernel) / kernel < 0.01, `recorded ${recorded} vs kernel ${kernel}`);
    assert.ok(
      kernel >= sent.bytes && kernel < sent.bytes * 1.06,
      `wire bytes ${kernel} cover iperf3's ${sent.bytes} payload plus headers`,
    );
  } finally {
    rec.kill('SIGTERM');
    await cli(['--netns', hv, 'restore', '--last', '--yes', '--state-dir', state], { env });
  }
});

test('no traffic: effect says so instead of a verdict', { skip, timeout: 120_000 }, async () => {
  const file = join(state, 'idle.jsonl');
  const rec = startRecorder(file, 9);
  try {
    await untilSamples(file, 2);
    await sleep(3500);
    const apply = await cli(['--netns', hv, 'apply', '--profile', 'tso-gso-off', '--yes', '--state-dir', state], {
      env,
    });
    assert.equal(apply.code, 0, apply.stderr);
    assert.equal(await exited(rec), 0);
    const r = await effect(['--change', 'last', '--recording', file, '--window', '3s', '--settle', '500ms']);
    assert.equal(r.verdict, 'no-traffic', r.summary);
  } finally {
    rec.kill('SIGTERM');
    await cli(['--netns', hv, 'restore', '--last', '--yes', '--state-dir', state], { env });
  }
});

test('traffic that stops at the change: too different to compare', { skip, timeout: 120_000 }, async () => {
  const file = join(state, 'stops.jsonl');
  const rec = startRecorder(file, 12);
  try {
    await untilSamples(file, 2);
    await iperfServer(5412);
    await iperfClient(5412, 5);
    const apply = await cli(['--netns', hv, 'apply', '--profile', 'tso-gso-off', '--yes', '--state-dir', state], {
      env,
    });
    assert.equal(apply.code, 0, apply.stderr);
    assert.equal(await exited(rec), 0);
    const r = await effect(['--change', 'last', '--recording', file, '--window', '3s', '--settle', '500ms']);
    assert.equal(r.verdict, 'too-different', r.summary);
  } finally {
    rec.kill('SIGTERM');
    await cli(['--netns', hv, 'restore', '--last', '--yes', '--state-dir', state], { env });
    rmSync(file, { force: true });
  }
});

test('the agent records: its enforcement is marked, `effect --agent` compares around it, /metrics has the gauges', {
  skip,
  timeout: 180_000,
}, async () => {
  const { startAgent, http, metricsText, TOKEN } = await import('./agent-harness.js');
  const agent = await startAgent(hv, ['--mode', 'report', '--profile', 'tso-gso-off', '--record-interval', '500ms'], {
    port: 9481,
  });
  try {
    await iperfServer(5413);
    const client = iperfClient(5413, 12);
    await sleep(5500);
    const m = await http(hv, agent.port, 'POST', '/api/mode', { token: TOKEN, body: '{"mode":"enforce"}' });
    assert.equal(m.status, 200, m.text);
    await sleep(3000);
    const metrics = await metricsText(hv, agent.port);
    await client;
    const size = /offloadctl_interface_avg_packet_bytes\{interface="vif2\.0",direction="tx"\} (\S+)/.exec(metrics);
    assert.ok(size, 'a packet-size gauge for the busy egress port');
    assert.match(metrics, /^offloadctl_host_cpu_seconds_per_gigabyte \S+$/m);

    const r = await effect(['--agent', `http://127.0.0.1:${agent.port}`, '--window', '3s', '--settle', '1s']);
    assert.equal(r.change.source, 'agent');
    assert.ok(r.change.interfaces?.includes('vif2.0'), 'the mark names the ports the agent changed');
    assert.equal(r.verdict, 'changed', r.summary);
    const v2 = r.interfaces.find((e) => e.name === 'vif2.0')!;
    assert.ok(v2.before.tx.avgPacketBytes! > 10_000 && v2.after.tx.avgPacketBytes! <= 1514);
  } finally {
    await agent.stop();
  }
});
