import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markedChanges, measuredEffects } from '../../../src/effect/measured.js';
import { citeMeasuredEffects } from '../../../src/doctor/measured-effect.js';
import type { Finding } from '../../../src/doctor/types.js';
import { synthRecording, type Rates } from './synth.js';

const T0 = 1_700_000_000_000;
const on: Rates = { 'vif1.0': [1e9, 1e5, 16_000, 1500, 0, 0], 'vif2.0': [1e5, 1e9, 1500, 16_000, 0, 0] };
const off: Rates = { 'vif1.0': [4e8, 4e4, 6500, 600, 0, 0], 'vif2.0': [4e4, 4e8, 600, 265_000, 0, 0] };

function recordingWithMarks() {
  const rec = synthRecording([
    { seconds: 40, rates: on, cpuTicks: 60, noise: 0.05 },
    { seconds: 40, rates: off, cpuTicks: 70, noise: 0.05 },
  ]);
  rec.marks.push(
    { at: T0 + 40_000, source: 'kernel', interfaces: ['vif1.0'] },
    { at: T0 + 40_300, source: 'kernel', interfaces: ['vif2.0'] },
  );
  return rec;
}

const finding = (interfaces: string[], features: string[]): Finding => ({
  id: 'x',
  source: 'known-problem',
  severity: 'warning',
  title: 't',
  interfaces,
  features,
  evidence: ['e'],
  cause: 'c',
  references: [],
  fix: { offloadctl: [], ethtool: [], other: [], measure: 'offloadctl bench ...' },
});

test('marks within 2 s are one change', () => {
  const spans = markedChanges(recordingWithMarks());
  assert.equal(spans.length, 1);
  assert.deepEqual(spans[0]!.interfaces, ['vif1.0', 'vif2.0']);
  assert.equal(spans[0]!.end - spans[0]!.start, 300);
});

test('the doctor cites the measured effect on findings about the changed interfaces only', () => {
  const effects = measuredEffects([recordingWithMarks()], { windowMs: 30_000, settleMs: 2000, limit: 5 });
  assert.equal(effects.length, 1);
  assert.equal(effects[0]!.verdict, 'changed');
  const [about, other, noFeatures] = citeMeasuredEffects(
    [finding(['vif2.0'], ['tx-tcp-segmentation']), finding(['eno1'], ['rx-gro']), finding(['vif2.0'], [])],
    effects,
  );
  assert.match(
    about!.evidence.at(-1)!,
    /^measured on this host around kernel at .*: average TX packet size on vif2\.0 fell/,
  );
  assert.match(about!.fix.measure!, /^measured \(offloadctl effect\)/);
  assert.deepEqual(other!.evidence, ['e']);
  assert.deepEqual(noFeatures!.evidence, ['e']);
});

test('no recordings: findings unchanged', () => {
  const f = [finding(['vif2.0'], ['tx-tcp-segmentation'])];
  assert.equal(citeMeasuredEffects(f, []), f);
});
