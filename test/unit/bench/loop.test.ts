import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureLoop, type Progress } from '../../../src/bench/run.js';
import type { ProfileApplier } from '../../../src/bench/profile-applier.js';
import type { BenchTarget } from '../../../src/bench/targets.js';

function fakeTarget(unsupported: BenchTarget['unsupported'] = {}): BenchTarget {
  return {
    environment: { lab: 'netns', path: 'x', appliedIn: 'hv', kernel: 'k', cpus: 2, notes: [] },
    applyNs: 'hv',
    clientNs: 'g1',
    serverAddr: '10.0.0.2',
    iperfPort: 5201,
    rrPort: 7,
    unsupported,
    teardown: async () => {},
  };
}

function fakeApplier(log: string[]): ProfileApplier {
  const snapshots: string[] = [];
  return {
    snapshots,
    apply: async (p) => (
      log.push(`apply ${p}`),
      snapshots.push(`s${snapshots.length}`),
      { profile: p, snapshot: null, status: 'applied', changed: 1 }
    ),
    restoreAll: async () => ({ ok: true, restored: [], errors: [] }),
  };
}

test('profiles interleave A B A B, every test once per profile per round', async () => {
  const log: string[] = [];
  const progress: Progress[] = [];
  const samples = await measureLoop(fakeTarget(), fakeApplier(log), {
    profiles: ['A', 'B'],
    tests: ['tcp', 'rr'],
    duration: 1,
    repeat: 2,
    onProgress: (p) => progress.push(p),
    runTest: async (_t, test) => (log.push(`run ${test}`), { gbps: 1 }),
  });
  assert.deepEqual(log, [
    'apply A',
    'run tcp',
    'run rr',
    'apply B',
    'run tcp',
    'run rr',
    'apply A',
    'run tcp',
    'run rr',
    'apply B',
    'run tcp',
    'run rr',
  ]);
  assert.deepEqual(
    samples.map((s) => `${s.round}${s.profile}${s.test}`),
    ['1Atcp', '1Arr', '1Btcp', '1Brr', '2Atcp', '2Arr', '2Btcp', '2Brr'],
  );
  assert.equal(progress.at(-1)!.done, 8);
  assert.equal(progress.at(-1)!.total, 8);
  assert.ok(progress.every((p) => p.done <= p.total));
});

test('a failed run is recorded with its error and the loop goes on; unsupported tests are left out', async () => {
  const logged: string[] = [];
  const samples = await measureLoop(fakeTarget({ rr: 'no echo server' }), fakeApplier([]), {
    profiles: ['A'],
    tests: ['tcp', 'rr', 'udp'],
    duration: 1,
    repeat: 1,
    log: (m) => logged.push(m),
    runTest: async (_t, test) => {
      if (test === 'udp') throw new Error('iperf3: boom\nmore');
      return { gbps: 2 };
    },
  });
  assert.deepEqual(
    samples.map((s) => [s.test, s.error ?? null]),
    [
      ['tcp', null],
      ['udp', 'iperf3: boom'],
    ],
  );
  assert.match(logged[0]!, /A udp round 1 failed: iperf3: boom/);
});

test('abort (Ctrl-C) stops between runs', async () => {
  let n = 0;
  const samples = await measureLoop(fakeTarget(), fakeApplier([]), {
    profiles: ['A', 'B'],
    tests: ['tcp'],
    duration: 1,
    repeat: 3,
    aborted: () => n >= 2,
    runTest: async () => (n++, { gbps: 1 }),
  });
  assert.equal(samples.length, 2);
});
