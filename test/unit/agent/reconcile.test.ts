import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, newHistory, classify, backoffDelay, type BackoffOptions } from '../../../src/agent/reconcile.js';
import type { DesiredInterface } from '../../../src/model/types.js';
import { feats, iface } from './fixtures.js';

const want = (ifindex: number, name: string, f: Record<string, boolean>): DesiredInterface => ({
  ifindex,
  name,
  features: Object.fromEntries(Object.entries(f).map(([k, v]) => [k, { value: v, rule: 'r' }])),
});
const OFF = { 'tx-tcp-segmentation': false, 'tx-generic-segmentation': false };
const B: BackoffOptions = { baseMs: 100, maxMs: 1000, maxAttempts: 3, quietMs: 10_000 };

test('a new non-compliant interface gets one set, reason new', () => {
  const i = iface(5, 'veth0', 'veth', feats());
  const r = decide(i, want(5, 'veth0', OFF), newHistory(1000), 'enforce', 1001, B);
  assert.deepEqual(r.actions, [{ kind: 'set', ifindex: 5, name: 'veth0', changes: OFF, reason: 'new', attempt: 1 }]);
  assert.equal(r.history.attempts, 1);
  assert.equal(r.history.retryAt, 1101);
});

test('compliant on first sight: compliant action with the delay since the link event', () => {
  const i = iface(
    5,
    'veth0',
    'veth',
    feats({
      'tx-tcp-segmentation': { active: false, requested: false },
      'tx-generic-segmentation': { active: false, requested: false },
    }),
  );
  const r = decide(i, want(5, 'veth0', OFF), newHistory(1000), 'enforce', 1004, B);
  assert.deepEqual(r.actions, [{ kind: 'compliant', ifindex: 5, name: 'veth0', delayMs: 4 }]);
  assert.equal(r.history.state, 'compliant');
  assert.equal(r.history.pendingSince, null);
  // seen again: no new action (level-based, idempotent)
  const r2 = decide(i, want(5, 'veth0', OFF), r.history, 'enforce', 2000, B);
  assert.deepEqual(r2.actions, []);
});

test('unmanaged interface: no actions', () => {
  const r = decide(iface(1, 'lo', null, feats(), 'loopback'), null, newHistory(null), 'enforce', 0, B);
  assert.deepEqual(r.actions, []);
  assert.equal(r.history.state, 'unmanaged');
});

test('drift after compliance is reported and corrected in enforce mode', () => {
  const good = iface(
    5,
    'veth0',
    'veth',
    feats({
      'tx-tcp-segmentation': { active: false, requested: false },
      'tx-generic-segmentation': { active: false, requested: false },
    }),
  );
  const h = decide(good, want(5, 'veth0', OFF), newHistory(null), 'enforce', 0, B).history;
  const drifted = iface(5, 'veth0', 'veth', feats({ 'tx-generic-segmentation': { active: false, requested: false } }));
  const r = decide(drifted, want(5, 'veth0', OFF), h, 'enforce', 50_000, B);
  assert.equal(r.actions[0]!.kind, 'report');
  assert.equal((r.actions[0] as { finding: string }).finding, 'drift');
  assert.equal((r.actions[0] as { drift: boolean }).drift, true);
  assert.deepEqual(r.actions[1], {
    kind: 'set',
    ifindex: 5,
    name: 'veth0',
    changes: { 'tx-tcp-segmentation': false },
    reason: 'drift',
    attempt: 1,
  });
});

test('report mode never sets, and reports a deviation once', () => {
  const i = iface(5, 'veth0', 'veth', feats());
  const r = decide(i, want(5, 'veth0', OFF), newHistory(0), 'report', 1, B);
  assert.equal(r.actions.length, 1);
  assert.equal(r.actions[0]!.kind, 'report');
  assert.equal((r.actions[0] as { finding: string }).finding, 'non-compliant');
  const r2 = decide(i, want(5, 'veth0', OFF), r.history, 'report', 2, B);
  assert.deepEqual(r2.actions, []);
});

test('a change that does not stick backs off, then gives up and reports: no loop', () => {
  const bad = iface(5, 'veth0', 'veth', feats());
  let h = newHistory(0);
  const sets: number[] = [];
  const reports: string[] = [];
  // Someone flips TSO back on after every set; events arrive every 10 ms for 10 s.
  for (let now = 0; now < 10_000; now += 10) {
    const r = decide(bad, want(5, 'veth0', OFF), h, 'enforce', now, B);
    h = r.history;
    for (const a of r.actions) {
      if (a.kind === 'set') sets.push(now);
      if (a.kind === 'report') reports.push(a.finding);
    }
  }
  assert.deepEqual(sets, [0, 100, 300]); // base 100 ms, doubling, 3 attempts
  assert.equal(h.gaveUp, true);
  assert.equal(h.state, 'gave-up');
  assert.deepEqual(reports, ['gave-up']);
  assert.equal(backoffDelay(10, B), 1000);
});

test('a quiet period starts a new streak: occasional drift is always corrected', () => {
  const bad = iface(5, 'veth0', 'veth', feats());
  let h = newHistory(0);
  let sets = 0;
  for (let k = 0; k < 10; k++) {
    const r = decide(bad, want(5, 'veth0', OFF), h, 'enforce', k * 20_000, B);
    h = r.history;
    sets += r.actions.filter((a) => a.kind === 'set').length;
  }
  assert.equal(sets, 10);
  assert.equal(h.gaveUp, false);
});

test('tap with requested on / active off (guest negotiation) is reported once, never set', () => {
  const tap = iface(
    7,
    'tap101i0',
    'tun',
    feats({ 'tx-tcp-segmentation': { active: false, requested: true } }),
    'vm-port',
  );
  const on = { 'tx-tcp-segmentation': true };
  const r = decide(tap, want(7, 'tap101i0', on), newHistory(0), 'enforce', 1, B);
  assert.deepEqual(
    r.actions.map((a) => a.kind),
    ['report'],
  );
  assert.equal((r.actions[0] as { finding: string }).finding, 'guest-negotiated');
  assert.equal(r.history.state, 'held');
  const r2 = decide(tap, want(7, 'tap101i0', on), r.history, 'enforce', 2, B);
  assert.deepEqual(r2.actions, []);
});

test('fixed bits that differ are reported, not set, and do not make the interface non-compliant', () => {
  const i = iface(
    5,
    'veth0',
    'veth',
    feats({
      'tx-tcp-segmentation': { active: true, requested: true, fixed: true },
      'tx-generic-segmentation': { active: false, requested: false },
    }),
  );
  const c = classify(i, want(5, 'veth0', OFF));
  assert.equal(c.fixed.length, 1);
  assert.equal(c.toSet.length, 0);
  const r = decide(i, want(5, 'veth0', OFF), newHistory(0), 'enforce', 1, B);
  assert.deepEqual(
    r.actions.map((a) => a.kind),
    ['report', 'compliant'],
  );
  assert.equal(r.history.state, 'compliant');
});

test('a fresh tap (TSO off, requested on) under tso-gso-off gets its requested bit set', () => {
  const tap = iface(7, 'tap0', 'tun', feats({ 'tx-tcp-segmentation': { active: false, requested: true } }), 'vm-port');
  const r = decide(tap, want(7, 'tap0', OFF), newHistory(0), 'enforce', 1, B);
  const set = r.actions.find((a) => a.kind === 'set');
  assert.deepEqual(set && set.kind === 'set' ? set.changes : null, OFF);
});

test('held and fixed findings together are each reported once', () => {
  const tap = iface(
    7,
    'tap0',
    'tun',
    feats({
      'tx-tcp-segmentation': { active: false, requested: true },
      'tx-generic-segmentation': { active: false, requested: false, fixed: true },
    }),
    'vm-port',
  );
  const on = { 'tx-tcp-segmentation': true, 'tx-generic-segmentation': true };
  let h = newHistory(0);
  const reports: string[] = [];
  for (let k = 0; k < 5; k++) {
    const r = decide(tap, want(7, 'tap0', on), h, 'enforce', k, B);
    h = r.history;
    for (const a of r.actions) if (a.kind === 'report') reports.push(a.finding);
  }
  assert.deepEqual(reports, ['guest-negotiated', 'fixed']);
});

test('a tap whose TSO is held by the policy itself (SG wanted off) is "held", not "guest-negotiated"', () => {
  // TSO needs SG (netdev_fix_features): with SG off by policy, TSO stays off whatever the guest does.
  const tap = iface(
    7,
    'tap0',
    'tun',
    feats({
      'tx-scatter-gather': { active: false, requested: false },
      'tx-tcp-segmentation': { active: false, requested: true },
    }),
    'vm-port',
  );
  const r = decide(
    tap,
    want(7, 'tap0', { 'tx-scatter-gather': false, 'tx-tcp-segmentation': true }),
    newHistory(0),
    'enforce',
    1,
    B,
  );
  assert.deepEqual(
    r.actions.map((a) => (a.kind === 'report' ? a.finding : a.kind)),
    ['held'],
  );
});

test('a Xen vif (a veth-like VM port, no TUNSETOFFLOAD) is never "guest-negotiated"', () => {
  const vif = iface(
    8,
    'vif3.0',
    'veth',
    feats({
      'tx-scatter-gather': { active: false, requested: false },
      'tx-tcp-segmentation': { active: false, requested: true },
    }),
    'vm-port',
  );
  const r = decide(
    vif,
    want(8, 'vif3.0', { 'tx-scatter-gather': false, 'tx-tcp-segmentation': true }),
    newHistory(0),
    'enforce',
    1,
    B,
  );
  assert.deepEqual(
    r.actions.map((a) => (a.kind === 'report' ? a.finding : a.kind)),
    ['held'],
  );
});
