import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recorder } from '../../../src/effect/recorder.js';
import { formatRecording, parseRecording } from '../../../src/effect/recording-file.js';
import { parseProcStatCpu, parseSoftirqs } from '../../../src/kernel/host-counters.js';
import type { HostCounters } from '../../../src/kernel/host-counters.js';

const reading = (at: number, links: Record<string, number[]>, cpu = [0, 0, 0, 0, 0, 0, 0, 0]): HostCounters => ({
  at,
  links: new Map(Object.entries(links).map(([n, v]) => [n, Float64Array.from(v)])),
  cpu: Float64Array.from(cpu),
  netRx: 0,
  netTx: 0,
});

const recorder = (capacity = 10) =>
  new Recorder({ intervalMs: 1000, capacity, read: async () => reading(0, {}), hostname: 'h', netns: null });

test('stores deltas only for interfaces whose counters moved', () => {
  const r = recorder();
  r.add(reading(0, { a: [10, 10, 1, 1, 0, 0], b: [5, 5, 1, 1, 0, 0] }));
  r.add(reading(1000, { a: [110, 10, 2, 1, 0, 0], b: [5, 5, 1, 1, 0, 0] }, [1, 0, 3, 0, 0, 0, 4, 0]));
  const rec = r.recording();
  assert.equal(rec.samples.length, 1);
  assert.deepEqual(rec.samples[0]!.rows, [0, 100, 0, 1, 0, 0, 0]);
  assert.deepEqual(rec.names, ['a']);
  assert.deepEqual(rec.samples[0]!.cpu, [1, 0, 3, 0, 0, 0, 4, 0]);
  assert.equal(rec.samples[0]!.dt, 1000);
});

test('a counter that goes backwards (interface re-created) counts from zero', () => {
  const r = recorder();
  r.add(reading(0, { a: [1000, 0, 10, 0, 0, 0] }));
  r.add(reading(1000, { a: [300, 0, 3, 0, 0, 0] }));
  assert.deepEqual(r.recording().samples[0]!.rows, [0, 300, 0, 3, 0, 0, 0]);
});

test('a new interface is a baseline first, then counted', () => {
  const r = recorder();
  r.add(reading(0, {}));
  r.add(reading(1000, { n: [500, 0, 5, 0, 0, 0] }));
  r.add(reading(2000, { n: [700, 0, 7, 0, 0, 0] }));
  const s = r.recording().samples;
  assert.deepEqual(s[0]!.rows, []);
  assert.deepEqual(s[1]!.rows, [0, 200, 0, 2, 0, 0, 0]);
});

test('the ring is bounded: the oldest samples go', () => {
  const r = recorder(3);
  for (let i = 0; i <= 10; i++) r.add(reading(i * 1000, { a: [i * 10, 0, i, 0, 0, 0] }));
  const s = r.recording().samples;
  assert.deepEqual(
    s.map((x) => x.t),
    [8000, 9000, 10000],
  );
  assert.equal(r.sampleCount, 3);
});

test('a recording survives its file format, and a cut last line is ignored', () => {
  const r = recorder();
  r.add(reading(0, { a: [0, 0, 0, 0, 0, 0] }));
  r.add(reading(1000, { a: [10, 20, 1, 2, 0, 0] }));
  r.mark({ at: 1500, source: 'kernel', interfaces: ['a'] });
  const rec = r.recording();
  const text = formatRecording(rec);
  assert.deepEqual(parseRecording(text, 'x'), rec);
  assert.deepEqual(parseRecording(text + '{"s":{"t":3', 'x'), rec);
  assert.throws(() => parseRecording(text.replace('"rows":[', '"rows":["x",'), 'x'), /bad sample line/);
  assert.throws(() => parseRecording('{"hello":1}\n', 'x'), /not an offloadctl recording/);
});

test('/proc/stat and /proc/softirqs parse', () => {
  assert.deepEqual(
    [...parseProcStatCpu('cpu  5995 1 4336 51865 355 0 140 3 0 0\ncpu0 1 2 3\n')],
    [5995, 1, 4336, 51865, 355, 0, 140, 3],
  );
  const s = parseSoftirqs(
    '                    CPU0       CPU1\n          HI:          0          0\n      NET_TX:          5          7\n      NET_RX:      25658       100\n',
  );
  assert.deepEqual(s, { netRx: 25758, netTx: 12 });
});
