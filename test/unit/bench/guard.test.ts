import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, guardText, parseGuardTest, parseThreshold, runGuard } from '../../../src/bench/guard.js';
import { parseServer } from '../../../src/bench/guard-apply.js';
import { OffloadError } from '../../../src/model/errors.js';

test('threshold: 10%, 10 and 0.1 are the same; nonsense is a usage error', () => {
  assert.equal(parseThreshold('10%'), 0.1);
  assert.equal(parseThreshold('10'), 0.1);
  assert.equal(parseThreshold('0.1'), 0.1);
  assert.equal(parseThreshold(' 2.5% '), 0.025);
  for (const bad of ['', 'ten', '-5%', '0', '100%', '150'])
    assert.throws(
      () => parseThreshold(bad),
      (e) => e instanceof OffloadError && e.exitCode === 2,
      bad,
    );
  assert.equal(parseGuardTest('rr'), 'rr');
  assert.throws(() => parseGuardTest('ping'), /unknown test/);
});

test('decide: throughput drop beyond the threshold regresses; within it does not', () => {
  const d = decide({ test: 'tcp', threshold: 0.1 }, [17, 18, 17.5], [4.4, 4.5, 4.3]);
  assert.equal(d.metric, 'gbps');
  assert.ok(d.regressed);
  assert.ok(Math.abs(d.change - (4.4 / 17.5 - 1)) < 1e-12);
  const ok = decide({ test: 'tcp', threshold: 0.1 }, [17, 18, 17.5], [16.5, 17, 16.8]);
  assert.equal(ok.regressed, false);
  // a gain never trips the guard
  assert.equal(decide({ test: 'tcp', threshold: 0.1 }, [4, 4, 4], [17, 17, 17]).regressed, false);
});

test('decide: for rr a latency rise is the regression', () => {
  assert.equal(decide({ test: 'rr', threshold: 0.1 }, [50, 52, 51], [70, 71, 69]).regressed, true);
  assert.equal(decide({ test: 'rr', threshold: 0.1 }, [50, 52, 51], [40, 41, 42]).regressed, false);
});

function fakeDeps(before: number[], after: number[], snapshot: string | null = 's1', ok = true) {
  const calls: string[] = [];
  return {
    calls,
    deps: {
      measure: async (phase: 'before' | 'after') => (
        calls.push(`measure-${phase}`), phase === 'before' ? before : after
      ),
      apply: async () => (calls.push('apply'), { snapshot, ok }),
      restore: async (id: string) => (calls.push(`restore-${id}`), { ok: true }),
    },
  };
}

test('runGuard: measure, apply, measure, restore on regression', async () => {
  const f = fakeDeps([17, 18, 17.5], [4.4, 4.5, 4.3]);
  const r = await runGuard({ test: 'tcp', threshold: 0.1 }, f.deps);
  assert.deepEqual(f.calls, ['measure-before', 'apply', 'measure-after', 'restore-s1']);
  assert.equal(r.rolledBack, true);
  assert.equal(r.rollbackOk, true);
  assert.match(guardText(r), /restored automatically/);
});

test('runGuard: keeps a change within the threshold', async () => {
  const f = fakeDeps([17, 18, 17.5], [17.2, 17.9, 17.4]);
  const r = await runGuard({ test: 'tcp', threshold: 0.1 }, f.deps);
  assert.deepEqual(f.calls, ['measure-before', 'apply', 'measure-after']);
  assert.equal(r.rolledBack, false);
  assert.match(guardText(r), /change is kept/);
});

test('runGuard: nothing applied → nothing judged; failed apply is not "restored" twice', async () => {
  const none = fakeDeps([17], [1], null);
  const r = await runGuard({ test: 'tcp', threshold: 0.1 }, none.deps);
  assert.deepEqual(none.calls, ['measure-before', 'apply']);
  assert.equal(r.rolledBack, false);
  const failed = fakeDeps([17], [1], 's2', false);
  const r2 = await runGuard({ test: 'tcp', threshold: 0.1 }, failed.deps);
  assert.deepEqual(failed.calls, ['measure-before', 'apply']);
  assert.equal(r2.regressed, false);
});

test('runGuard: no measurement after apply counts as a regression (restore); none before changes nothing', async () => {
  const f = fakeDeps([17, 18], []);
  const r = await runGuard({ test: 'tcp', threshold: 0.1 }, f.deps);
  assert.equal(r.rolledBack, true);
  const g = fakeDeps([], [1]);
  await assert.rejects(runGuard({ test: 'tcp', threshold: 0.1 }, g.deps), /nothing was changed/);
  assert.deepEqual(g.calls, ['measure-before']);
});

test('--guard-server host[:port]', () => {
  assert.deepEqual(parseServer('192.0.2.10'), { host: '192.0.2.10', port: undefined });
  assert.deepEqual(parseServer('192.0.2.10:5202'), { host: '192.0.2.10', port: 5202 });
  assert.deepEqual(parseServer('[2001:db8::1]:5202'), { host: '2001:db8::1', port: 5202 });
  assert.deepEqual(parseServer('2001:db8::1'), { host: '2001:db8::1' });
});
