/**
 * `offloadctl agent` in a namespace of its own: a burst of 300 new interfaces (150 taps, 75 veth
 * pairs) is compliant within seconds per the oracle and counted 300 times in the delay histogram;
 * drift is corrected (enforce) or only reported (report); mutating API calls without the token get
 * 401 and change nothing; deleted interfaces lose their series; promtool accepts /metrics.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ipBatch, nsRunOk } from '../../src/lab/netns.js';
import { run } from '../../src/kernel/exec.js';
import {
  BIN,
  TOKEN,
  agentNetns,
  agentSkip as skip,
  http,
  metricValue,
  metricsText,
  nonCompliant,
  oracle,
  startAgent,
  waitFor,
  type RunningAgent,
} from './agent-harness.js';

let ns = '';
let agent: RunningAgent | null = null;
const TAPS = 150;
const PAIRS = 75;

const lab = agentNetns();
before(async () => {
  if (skip) return;
  ({ ns, agent } = await lab.open('agent'));
});
// after the lab's cleanup (hooks run in the order registered): the agent has been stopped
after(() => {
  if (agent) assert.equal(lab.exitCode, 0, 'SIGTERM: clean exit 0');
});

test('burst of 300 new interfaces: all compliant within a few seconds, histogram counts 300', { skip }, async () => {
  const lines: string[] = [];
  for (let i = 0; i < TAPS; i++) lines.push(`tuntap add dev tap${i} mode tap`);
  for (let i = 0; i < PAIRS; i++) lines.push(`link add ve${i} type veth peer name vp${i}`);
  const t0 = Date.now();
  await ipBatch(ns, lines);
  const names = [...Array(TAPS).keys()]
    .map((i) => `tap${i}`)
    .concat([...Array(PAIRS).keys()].flatMap((i) => [`ve${i}`, `vp${i}`]));
  let last: string[] = [];
  await waitFor(
    async () => {
      last = nonCompliant(await oracle(ns), names);
      return last.length === 0;
    },
    10_000,
    'all 300 compliant per ethtool --json -k',
  ).catch((e) => {
    throw new Error(`${(e as Error).message}; still non-compliant: ${last.slice(0, 10).join(' ')}`);
  });
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < 5000, `compliant after ${elapsed} ms (from the start of ip -batch)`);
  const m = await metricsText(ns, agent!.port);
  assert.equal(metricValue(m, 'offloadctl_enforcement_delay_seconds_count'), 300);
  assert.equal(metricValue(m, 'offloadctl_interface_compliant{interface="tap7",role="vm-port"}'), 1);
  assert.equal(metricValue(m, 'offloadctl_interface_compliant{interface="ve3",role="veth"}'), 1);
  const batches = metricValue(m, 'offloadctl_reconcile_batches_total')!;
  assert.ok(batches < 150, `events were batched: ${batches} batches for 300 links`);
  const state = JSON.parse((await http(ns, agent!.port, 'GET', '/api/state')).text) as {
    counts: Record<string, number>;
  };
  assert.equal(state.counts.compliant, 300);
});

test('mutating API calls without or with a wrong token: 401, nothing changes', { skip }, async () => {
  for (const token of [undefined, 'wrong-token-0123456789abcdef', '']) {
    assert.equal((await http(ns, agent!.port, 'POST', '/api/mode', { token, body: '{"mode":"report"}' })).status, 401);
    assert.equal((await http(ns, agent!.port, 'POST', '/api/reconcile', { token })).status, 401);
  }
  const state = JSON.parse((await http(ns, agent!.port, 'GET', '/api/state')).text) as { mode: string };
  assert.equal(state.mode, 'enforce');
  const m = await metricsText(ns, agent!.port);
  assert.equal(metricValue(m, 'offloadctl_resyncs_total{trigger="api"}'), null);
  assert.ok(agent!.logs.some((l) => l.includes('"unauthorized API call"')));
});

test('drift: corrected in enforce mode', { skip }, async () => {
  await nsRunOk(ns, ['ethtool', '-K', 've0', 'gso', 'on']);
  await waitFor(async () => nonCompliant(await oracle(ns), ['ve0']).length === 0, 5000, 've0 gso back off');
  await waitFor(
    async () =>
      (metricValue(await metricsText(ns, agent!.port), 'offloadctl_drift_events_total{finding="drift"}') ?? 0) >= 1,
    3000,
    'drift counted',
  );
});

test('drift: reported, not corrected, in report mode; enforce again corrects it', { skip }, async () => {
  const r = await http(ns, agent!.port, 'POST', '/api/mode', { token: TOKEN, body: '{"mode":"report"}' });
  assert.equal(r.status, 200);
  await nsRunOk(ns, ['ethtool', '-K', 've1', 'gso', 'on']);
  await waitFor(
    async () => {
      const ev = JSON.parse((await http(ns, agent!.port, 'GET', '/api/events')).text) as {
        events: { action: string; interface?: string }[];
      };
      return ev.events.some((e) => e.action === 'drift' && e.interface === 've1');
    },
    3000,
    'drift event for ve1',
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(
    nonCompliant(await oracle(ns), ['ve1']),
    ['ve1:generic-segmentation-offload'],
    'report mode leaves it',
  );
  assert.equal(
    metricValue(await metricsText(ns, agent!.port), 'offloadctl_interface_compliant{interface="ve1",role="veth"}'),
    0,
  );
  assert.equal(
    (await http(ns, agent!.port, 'POST', '/api/mode', { token: TOKEN, body: '{"mode":"enforce"}' })).status,
    200,
  );
  await waitFor(async () => nonCompliant(await oracle(ns), ['ve1']).length === 0, 5000, 've1 corrected after enforce');
  assert.equal((await http(ns, agent!.port, 'POST', '/api/reconcile', { token: TOKEN })).status, 200);
});

test('deleted interfaces: their series go away', { skip }, async () => {
  const lines = [...Array(10).keys()].map((i) => `link del tap${i}`);
  await ipBatch(ns, lines);
  await waitFor(
    async () => !(await metricsText(ns, agent!.port)).includes('interface="tap0"'),
    3000,
    'tap0 series removed',
  );
  const m = await metricsText(ns, agent!.port);
  for (let i = 0; i < 10; i++) assert.ok(!m.includes(`interface="tap${i}"`), `tap${i} gone`);
  assert.equal(metricValue(m, 'offloadctl_interface_compliant{interface="tap10",role="vm-port"}'), 1);
  assert.equal(metricValue(m, 'offloadctl_interfaces{state="compliant"}'), 290);
});

test('promtool check metrics accepts /metrics', {
  skip:
    skip || (spawnSync('promtool', ['--version']).error ? 'promtool not installed (Debian package prometheus)' : false),
}, async () => {
  const m = await metricsText(ns, agent!.port);
  const r = await run(['promtool', 'check', 'metrics'], { input: m });
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test('the agent refuses a token file readable by others (exit 2) and a non-loopback address (exit 2)', {
  skip,
}, async () => {
  const a = await run(['ip', 'netns', 'exec', ns, process.execPath, BIN, 'agent', '--listen', '0.0.0.0:9470']);
  assert.equal(a.code, 2, a.stderr);
  assert.match(a.stderr, /--allow-remote/);
  await assert.rejects(startAgent(ns, [], { port: 9471, tokenMode: 0o644 }), /exited 2/);
});
