import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareAroundChange } from '../../../src/effect/analyze.js';
import { synthRecording, type Rates } from './synth.js';

const T0 = 1_700_000_000_000;
// A bridge forwarding 1 GB/s from vif1.0 to vif2.0: 64 kB super-packets with TSO/GSO on.
const tsoOn: Rates = {
  'vif1.0': [1e9, 1e5, 16_000, 1500, 0, 0],
  'vif2.0': [1e5, 1e9, 1500, 16_000, 0, 0],
  lo: [5e9, 5e9, 1e5, 1e5, 0, 0],
};
// After tso-gso-off: MTU-sized packets, less throughput.
const tsoOff: Rates = {
  'vif1.0': [4e8, 4e4, 6500, 600, 0, 0],
  'vif2.0': [4e4, 4e8, 600, 265_000, 0, 0],
  lo: [5e9, 5e9, 1e5, 1e5, 0, 0],
};
const span = (at: number) => ({
  start: at,
  end: at + 100,
  source: 'apply' as const,
  id: 'snap',
  interfaces: ['vif1.0', 'vif2.0'],
});
const opts = { windowMs: 10_000, settleMs: 2000 };

test('a TSO/GSO-off change: packet size falls to an MTU, CPU per GB rises, with its interval', () => {
  const rec = synthRecording([
    { seconds: 12, rates: tsoOn, cpuTicks: 60, noise: 0.05 },
    { seconds: 14, rates: tsoOff, cpuTicks: 70, noise: 0.05 },
  ]);
  const r = compareAroundChange(rec, span(T0 + 12_000), opts);
  assert.equal(r.verdict, 'changed');
  const v2 = r.interfaces.find((e) => e.name === 'vif2.0')!;
  assert.ok(v2.before.tx.avgPacketBytes! > 60_000);
  assert.ok(v2.after.tx.avgPacketBytes! < 1600);
  assert.ok(r.cpuPerGb!.ratio > 2.5 && r.cpuPerGb!.ratio < 3.5, String(r.cpuPerGb!.ratio));
  assert.ok(r.cpuPerGb!.low > 1, 'the interval excludes no change');
  assert.match(r.summary, /average TX packet size on vif2\.0 fell from 6\d kB to 1\.5 kB/);
  assert.match(r.summary, /CPU per GB moved rose 2\.\dx \(95% CI/);
  assert.ok(!r.interfaces.some((e) => e.name === 'lo'), 'loopback is not counted by default');
  assert.equal(r.before.samples, r.after.samples, 'equal windows');
});

test('the same interval every time: the bootstrap is seeded', () => {
  const rec = synthRecording([
    { seconds: 12, rates: tsoOn, cpuTicks: 60, noise: 0.2 },
    { seconds: 14, rates: tsoOff, cpuTicks: 70, noise: 0.2 },
  ]);
  const a = compareAroundChange(rec, span(T0 + 12_000), opts).cpuPerGb;
  const b = compareAroundChange(rec, span(T0 + 12_000), opts).cpuPerGb;
  assert.deepEqual(a, b);
});

test('no traffic: says so instead of a verdict', () => {
  const idle: Rates = { 'vif1.0': [100, 100, 1, 1, 0, 0] };
  const rec = synthRecording([{ seconds: 26, rates: idle, cpuTicks: 2 }]);
  const r = compareAroundChange(rec, span(T0 + 12_000), opts);
  assert.equal(r.verdict, 'no-traffic');
  assert.match(r.summary, /^no traffic to compare/);
});

test('traffic that stops after the change: too different to compare', () => {
  const idle: Rates = { 'vif1.0': [0, 0, 0, 0, 0, 0], 'vif2.0': [0, 0, 0, 0, 0, 0] };
  const rec = synthRecording([
    { seconds: 12, rates: tsoOn, cpuTicks: 60 },
    { seconds: 14, rates: idle, cpuTicks: 1 },
  ]);
  const r = compareAroundChange(rec, span(T0 + 12_000), opts);
  assert.equal(r.verdict, 'too-different');
});

test('the same traffic on both sides: no measurable difference', () => {
  const rec = synthRecording([{ seconds: 26, rates: tsoOn, cpuTicks: 60, noise: 0.1 }]);
  const r = compareAroundChange(rec, span(T0 + 12_000), opts);
  assert.equal(r.verdict, 'no-difference');
  assert.ok(r.cpuPerGb!.low <= 1 && r.cpuPerGb!.high >= 1);
});

test('a recording that does not reach back far enough: insufficient data', () => {
  const rec = synthRecording([{ seconds: 4, rates: tsoOn, cpuTicks: 60 }]);
  const r = compareAroundChange(rec, span(T0 + 1000), opts);
  assert.equal(r.verdict, 'insufficient-data');
});

test('drops and errors appear in the evidence', () => {
  const lossy: Rates = { ...tsoOff, 'vif2.0': [4e4, 4e8, 600, 265_000, 30, 2] };
  const rec = synthRecording([
    { seconds: 12, rates: tsoOn, cpuTicks: 60 },
    { seconds: 14, rates: lossy, cpuTicks: 70 },
  ]);
  const r = compareAroundChange(rec, span(T0 + 12_000), opts);
  assert.ok(
    r.evidence.some((e) => /drops \+ errors .*: 0 before, \d+ after/.test(e)),
    r.evidence.join('\n'),
  );
});

test('an interface filter limits what is counted and reported', () => {
  const rec = synthRecording([
    { seconds: 12, rates: tsoOn, cpuTicks: 60 },
    { seconds: 14, rates: tsoOff, cpuTicks: 70 },
  ]);
  const r = compareAroundChange(rec, span(T0 + 12_000), { ...opts, select: (n) => n === 'vif1.0' });
  assert.deepEqual(
    r.interfaces.map((e) => e.name),
    ['vif1.0'],
  );
});
