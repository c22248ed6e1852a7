import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, quantile, summarize, ratioInterval, seededRandom, verdict } from '../../../src/bench/stats.js';

test('median of odd and even counts, unsorted input untouched', () => {
  const xs = [5, 1, 3];
  assert.equal(median(xs), 3);
  assert.deepEqual(xs, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('quantiles interpolate linearly (type 7)', () => {
  assert.equal(quantile([1, 2, 3, 4, 5], 0.25), 2);
  assert.equal(quantile([1, 2, 3, 4], 0.25), 1.75);
  assert.equal(quantile([10], 0.9), 10);
});

test('summary: quartiles, IQR, relative spread', () => {
  const s = summarize([10, 12, 11, 13, 14]);
  assert.equal(s.n, 5);
  assert.equal(s.median, 12);
  assert.equal(s.q1, 11);
  assert.equal(s.q3, 13);
  assert.equal(s.iqr, 2);
  assert.equal(s.min, 10);
  assert.equal(s.max, 14);
  assert.ok(Math.abs(s.relSpread - 2 / 12) < 1e-12);
});

test('seeded random is deterministic', () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  for (let i = 0; i < 5; i++) assert.equal(a(), b());
});

test('ratio interval: clear 4x drop, deterministic with a seed', () => {
  const on = [17.8, 17.2, 18.1, 17.5, 17.9];
  const off = [4.4, 4.6, 4.3, 4.5, 4.4];
  const r1 = ratioInterval(on, off, { seed: 7 });
  const r2 = ratioInterval(on, off, { seed: 7 });
  assert.deepEqual(r1, r2);
  assert.ok(Math.abs(r1.ratio - 4.4 / 17.8) < 1e-12);
  assert.ok(r1.low <= r1.ratio && r1.ratio <= r1.high);
  assert.ok(r1.high < 1);
  // every bootstrap ratio is between min(off)/max(on) and max(off)/min(on)
  assert.ok(r1.low >= 4.3 / 18.1 - 1e-12 && r1.high <= 4.6 / 17.2 + 1e-12);
});

test('ratio interval: empty side or zero baseline gives NaN, not a claim', () => {
  assert.ok(Number.isNaN(ratioInterval([], [1]).ratio));
  assert.ok(Number.isNaN(ratioInterval([0, 0], [1, 2]).ratio));
});

test('verdict: cost of a throughput drop, with its interval', () => {
  const v = verdict({
    metric: 'TCP throughput',
    better: 'higher',
    baseline: 'offloads-on',
    candidate: 'tso-gso-off',
    interval: { ratio: 0.26, low: 0.22, high: 0.3, confidence: 0.95, nBaseline: 5, nCandidate: 5 },
  });
  assert.equal(v.kind, 'worse');
  assert.equal(v.text, 'on this host, tso-gso-off costs 74% TCP throughput vs offloads-on (95% CI 70–78%)');
});

test('verdict: CPU rise is a cost, CPU drop a saving, throughput rise a gain', () => {
  const base = { baseline: 'offloads-on', candidate: 'tso-gso-off', where: 'on the netns lab' };
  const up = { ratio: 1.6, low: 1.4, high: 1.85, confidence: 0.95, nBaseline: 5, nCandidate: 5 };
  const down = { ratio: 0.8, low: 0.7, high: 0.9, confidence: 0.95, nBaseline: 5, nCandidate: 5 };
  assert.equal(
    verdict({ ...base, metric: 'sender CPU per Gbit/s', better: 'lower', interval: up }).text,
    'on the netns lab, tso-gso-off costs +60% sender CPU per Gbit/s vs offloads-on (95% CI +40–+85%)',
  );
  const s = verdict({ ...base, metric: 'rr latency p50', better: 'lower', interval: down });
  assert.equal(s.kind, 'better');
  assert.match(s.text, /saves 20% rr latency p50 .*\(95% CI 10–30%\)/);
  const g = verdict({ ...base, metric: 'TCP throughput', better: 'higher', interval: up });
  assert.equal(g.kind, 'better');
  assert.match(g.text, /gains \+60% TCP throughput/);
});

test('verdict: "no measurable difference" whenever the interval spans 1', () => {
  const v = verdict({
    metric: 'TCP throughput',
    better: 'higher',
    baseline: 'offloads-on',
    candidate: 'tso-gso-off',
    interval: { ratio: 0.97, low: 0.9, high: 1.05, confidence: 0.95, nBaseline: 5, nCandidate: 5 },
  });
  assert.equal(v.kind, 'no-difference');
  assert.equal(
    v.text,
    'on this host, no measurable difference in TCP throughput between offloads-on and tso-gso-off (ratio 0.97, 95% CI 0.90–1.05)',
  );
  assert.doesNotMatch(v.text, /costs|gains|saves/);
});

test('verdict: few runs are flagged; missing data is "unknown"', () => {
  const v = verdict({
    metric: 'TCP throughput',
    better: 'higher',
    baseline: 'a',
    candidate: 'b',
    interval: { ratio: 0.5, low: 0.4, high: 0.6, confidence: 0.95, nBaseline: 2, nCandidate: 2 },
  });
  assert.match(v.text, /only 2 runs per profile: a rough interval/);
  const u = verdict({
    metric: 'TCP throughput',
    better: 'higher',
    baseline: 'a',
    candidate: 'b',
    interval: ratioInterval([], [1]),
  });
  assert.equal(u.kind, 'unknown');
});

test('end to end: bootstrap of identical distributions says no measurable difference', () => {
  const a = [10, 11, 9, 10.5, 9.5];
  const b = [10.2, 9.8, 10.9, 9.4, 10.1];
  const v = verdict({
    metric: 'TCP throughput',
    better: 'higher',
    baseline: 'a',
    candidate: 'b',
    interval: ratioInterval(a, b, { seed: 3 }),
  });
  assert.equal(v.kind, 'no-difference');
});

test('verdict: a single run per profile gives a ratio but no verdict', () => {
  const v = verdict({
    metric: 'TCP throughput',
    better: 'higher',
    baseline: 'a',
    candidate: 'b',
    interval: ratioInterval([10], [3]),
  });
  assert.equal(v.kind, 'unknown');
  assert.equal(
    v.text,
    'on this host, TCP throughput: b/a ratio 0.30 from a single run each: no interval, no verdict (use --repeat 3 or more)',
  );
});
