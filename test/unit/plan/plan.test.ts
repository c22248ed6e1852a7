import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plan, computeStages, isPhysical } from '../../../src/plan/plan.js';
import { predictActive, turnsOffOnly } from '../../../src/plan/dependencies.js';
import { loadPolicy, resolvePolicy } from '../../../src/policy/index.js';
import {
  TSO,
  TSO_GSO_OFF,
  bridgeFeatures,
  desire,
  host,
  iface,
  observation,
  tapFeatures,
  vethFeatures,
} from './fixtures.js';

test('sets requested bits that differ, with the rule that wants them', () => {
  const obs = host();
  const p = plan(obs, desire(obs, TSO_GSO_OFF, ['veth9'], 'no-tso'));
  assert.equal(p.changes.length, 1);
  const c = p.changes[0]!;
  assert.equal(c.ifname, 'veth9');
  assert.deepEqual(c.set, TSO_GSO_OFF);
  assert.equal(c.why['tx-tcp-segmentation'], 'no-tso');
  assert.deepEqual(c.effects, {});
  assert.deepEqual(c.warnings, []);
});

test('fixed features are skipped (reason fixed), never attempted; fixed-as-wanted counts as already', () => {
  const obs = host();
  const p = plan(
    obs,
    desire(obs, { 'tx-tcp6-segmentation': true, 'tx-vlan-hw-insert': false, 'rx-lro': false }, ['eno1']),
  );
  // eno1: tso6 fixed off (wanted on) → fixed; txvlan fixed on (wanted off) → fixed; lro fixed off → already.
  assert.equal(p.changes.length, 0);
  const reasons = Object.fromEntries(p.skipped.map((s) => [s.feature, s.reason]));
  assert.deepEqual(reasons, { 'tx-tcp6-segmentation': 'fixed', 'tx-vlan-hw-insert': 'fixed', 'rx-lro': 'already' });
  assert.deepEqual(p.compliant, [], 'fixed deviations are not compliance');
});

test('absent features are skipped with reason absent', () => {
  const obs = host();
  const d = desire(obs, {}, ['veth9']);
  d.interfaces[0]!.features['tx-made-up-segmentation'] = { value: false, rule: 'r' };
  const p = plan(obs, d);
  assert.deepEqual(
    p.skipped.map((s) => [s.feature, s.reason]),
    [['tx-made-up-segmentation', 'absent']],
  );
});

test('already as wanted: nothing to do, interface compliant', () => {
  const obs = observation([
    iface(7, 'v', 'veth', { ...vethFeatures(), 'rx-gro': { active: false, requested: false, fixed: false } }),
  ]);
  const p = plan(obs, desire(obs, { 'rx-gro': false }));
  assert.deepEqual(p.changes, []);
  assert.deepEqual(p.compliant, ['v']);
  assert.equal(p.skipped[0]!.reason, 'already');
});

test('a tap whose TSO is off but requested on gets its requested bit set off (requested is compared)', () => {
  const obs = observation([iface(4, 'tap0', 'vm-port', tapFeatures())]);
  const p = plan(obs, desire(obs, TSO_GSO_OFF));
  const c = p.changes[0]!;
  // accecn is fixed off on a tap; mangleid is already off.
  assert.deepEqual(Object.keys(c.set).sort(), [
    'tx-generic-segmentation',
    'tx-tcp-ecn-segmentation',
    'tx-tcp-segmentation',
    'tx-tcp6-segmentation',
  ]);
  assert.ok(!('tx-tcp-accecn-segmentation' in c.set));
});

test('sg off takes TSO and GSO off with it: listed as effects, their requested bits are not touched', () => {
  const obs = observation([iface(7, 'v', 'veth', vethFeatures())]);
  const p = plan(obs, desire(obs, { 'tx-scatter-gather': false }));
  const c = p.changes[0]!;
  assert.deepEqual(c.set, { 'tx-scatter-gather': false });
  for (const f of [
    'tx-tcp-segmentation',
    'tx-tcp-ecn-segmentation',
    'tx-tcp-mangleid-segmentation',
    'tx-tcp6-segmentation',
    'tx-generic-segmentation',
  ]) {
    assert.equal(c.effects[f], false, f);
  }
  // measured on 6.18: accecn is not in NETIF_F_ALL_TSO and stays on
  assert.ok(!('tx-tcp-accecn-segmentation' in c.effects));
  assert.ok(c.warnings.some((w) => w.includes('tx-tcp-segmentation') && w.includes('requested bits stay on')));
});

test('tx checksumming off takes IPv4/IPv6 TSO and UDP segmentation off', () => {
  const obs = observation([iface(7, 'v', 'veth', vethFeatures())]);
  const p = plan(obs, desire(obs, { 'tx-checksum-ip-generic': false }));
  const e = p.changes[0]!.effects;
  assert.equal(e['tx-tcp-segmentation'], false);
  assert.equal(e['tx-tcp6-segmentation'], false);
  assert.equal(e['tx-udp-segmentation'], false);
  assert.equal(e['tx-generic-segmentation'], undefined, 'GSO does not need checksumming');
});

test('TSO wanted on while SG stays off: nothing to set (requested is on), reported held, not re-set', () => {
  const f = vethFeatures();
  f['tx-scatter-gather'] = { active: false, requested: false, fixed: false };
  for (const t of TSO.slice(0, 4)) f[t] = { active: false, requested: true, fixed: false };
  f['tx-generic-segmentation'] = { active: false, requested: true, fixed: false };
  const obs = observation([iface(7, 'v', 'veth', f)]);
  const p = plan(obs, desire(obs, { 'tx-tcp-segmentation': true, 'tx-generic-segmentation': true }));
  assert.deepEqual(p.changes, []);
  const s = p.skipped.find((x) => x.feature === 'tx-tcp-segmentation')!;
  assert.equal(s.reason, 'held');
  assert.match(s.detail!, /scatter-gather/);
});

test('TSO and SG both wanted on: only SG is set, TSO returns with it (already)', () => {
  const f = vethFeatures();
  f['tx-scatter-gather'] = { active: false, requested: false, fixed: false };
  f['tx-tcp-segmentation'] = { active: false, requested: true, fixed: false };
  f['tx-generic-segmentation'] = { active: false, requested: true, fixed: false };
  const obs = observation([iface(7, 'v', 'veth', f)]);
  const p = plan(
    obs,
    desire(obs, { 'tx-scatter-gather': true, 'tx-tcp-segmentation': true, 'tx-generic-segmentation': true }),
  );
  assert.deepEqual(p.changes[0]!.set, { 'tx-scatter-gather': true });
  assert.equal(p.changes[0]!.effects['tx-tcp-segmentation'], true);
  const s = p.skipped.find((x) => x.feature === 'tx-tcp-segmentation')!;
  assert.equal(s.reason, 'already');
  assert.match(s.detail!, /returns on/);
});

test('TSO set on while SG is being turned off: a warning says it stays off', () => {
  const f = vethFeatures();
  f['tx-tcp-segmentation'] = { active: false, requested: false, fixed: false };
  const obs = observation([iface(7, 'v', 'veth', f)]);
  const p = plan(obs, desire(obs, { 'tx-scatter-gather': false, 'tx-tcp-segmentation': true }));
  assert.ok(
    p.changes[0]!.warnings.some((w) =>
      /tx-tcp-segmentation is requested on but stays off: TSO needs scatter-gather/.test(w),
    ),
  );
});

test('a tap cannot be forced on: TSO wanted on is held (its owner decides)', () => {
  const obs = observation([iface(4, 'tap0', 'vm-port', tapFeatures())]);
  const p = plan(obs, desire(obs, { 'tx-checksum-ip-generic': true }));
  const s = p.skipped.find((x) => x.feature === 'tx-checksum-ip-generic')!;
  assert.equal(s.reason, 'held');
  assert.match(s.detail!, /TUNSETOFFLOAD/);
});

test('bridges come after their ports; bonds in between (stages)', () => {
  const obs = observation([
    iface(10, 'br0', 'bridge', bridgeFeatures()),
    iface(11, 'bond0', 'bond', vethFeatures(), { master: 'br0' }),
    iface(12, 'eno1', 'uplink', vethFeatures(), { master: 'bond0' }),
    iface(13, 'eno2', 'uplink', vethFeatures(), { master: 'bond0' }),
    iface(14, 'tap1', 'vm-port', vethFeatures(), { master: 'br0' }),
    iface(15, 'veth9', 'veth', vethFeatures()),
  ]);
  const stages = computeStages(obs.interfaces);
  assert.deepEqual(Object.fromEntries(stages), { br0: 2, bond0: 1, eno1: 0, eno2: 0, tap1: 0, veth9: 0 });
  const p = plan(obs, desire(obs, TSO_GSO_OFF));
  assert.deepEqual(
    p.changes.map((c) => [c.ifname, c.stage]),
    [
      ['eno1', 0],
      ['eno2', 0],
      ['tap1', 0],
      ['veth9', 0],
      ['bond0', 1],
      ['br0', 2],
    ],
  );
});

test('a bridge wanting GSO on whose ports all have it off: already (follows its ports), not re-set', () => {
  const bf = bridgeFeatures();
  bf['tx-generic-segmentation'] = { active: false, requested: true, fixed: false };
  const obs = observation([iface(10, 'br0', 'bridge', bf), iface(11, 'v', 'veth', vethFeatures(), { master: 'br0' })]);
  const p = plan(obs, desire(obs, { 'tx-generic-segmentation': true }, ['br0']));
  assert.deepEqual(p.changes, []);
  const s = p.skipped.find((x) => x.ifname === 'br0')!;
  assert.equal(s.reason, 'already');
  assert.match(s.detail!, /follows its ports/);
});

test('physical NICs get a link-reset warning; virtual devices do not', () => {
  const obs = host();
  const p = plan(obs, desire(obs, TSO_GSO_OFF));
  const byName = Object.fromEntries(p.changes.map((c) => [c.ifname, c]));
  assert.ok(byName.eno1!.warnings.some((w) => /reset the link/.test(w) && /e1000e/.test(w)));
  for (const n of ['br0', 'tap100i0', 'veth0', 'veth9'])
    assert.ok(!byName[n]!.warnings.some((w) => /reset/.test(w)), n);
  assert.equal(isPhysical(iface(1, 'eth0', 'other', {}, { kind: null, driver: 'virtio_net' })), true);
  assert.equal(isPhysical(iface(1, 'lo', 'loopback', {}, { kind: null, driver: null })), false);
});

test('with the real tso-gso-off profile: every non-loopback interface, bridge last', () => {
  const obs = host();
  obs.interfaces.unshift(iface(1, 'lo', 'loopback', vethFeatures(), { kind: null, driver: null }));
  const p = plan(obs, resolvePolicy(loadPolicy({ profile: 'tso-gso-off' }), obs));
  assert.equal(p.policy, 'tso-gso-off');
  assert.deepEqual(
    p.changes.map((c) => c.ifname),
    ['eno1', 'tap100i0', 'veth0', 'veth9', 'br0'],
  );
  for (const c of p.changes) for (const v of Object.values(c.set)) assert.equal(v, false);
});

test('planning the result of a plan gives nothing to do (idempotent)', () => {
  const obs = host();
  const d = desire(obs, TSO_GSO_OFF);
  const p = plan(obs, d);
  for (const c of p.changes) {
    const i = obs.interfaces.find((x) => x.name === c.ifname)!;
    for (const [f, v] of Object.entries(c.set)) i.features[f] = { ...i.features[f]!, requested: v, active: v };
  }
  const again = plan(obs, d);
  assert.deepEqual(again.changes, []);
  assert.equal(again.compliant.length, obs.interfaces.length);
});

test('predictActive keeps what a tap holds off and applies dependencies', () => {
  const f = tapFeatures();
  const p = predictActive(f, {});
  assert.equal(p['tx-tcp-segmentation'], false);
  assert.equal(p['tx-checksum-ip-generic'], false);
  assert.equal(p['tx-generic-segmentation'], true);
  const v = predictActive(vethFeatures(), { 'tx-scatter-gather': false });
  assert.equal(v['tx-generic-segmentation'], false);
  assert.equal(v['tx-tcp6-segmentation'], false);
  assert.equal(v['tx-tcp-accecn-segmentation'], undefined, 'not covered by any rule: keeps its state');
});

test('turning off tx-tcp-segmentation alone takes mangleid with it (an effect); the whole family at once has none', () => {
  const obs = observation([iface(7, 'v', 'veth', vethFeatures())]);
  const one = plan(obs, desire(obs, { 'tx-tcp-segmentation': false }));
  assert.deepEqual(one.changes[0]!.effects, { 'tx-tcp-mangleid-segmentation': false });
  const all = plan(obs, desire(obs, TSO_GSO_OFF));
  assert.deepEqual(all.changes[0]!.effects, {});
  assert.equal(turnsOffOnly(vethFeatures(), TSO_GSO_OFF), true);
  assert.equal(turnsOffOnly(vethFeatures(), { 'tx-tcp-segmentation': false }), false);
  assert.equal(turnsOffOnly(vethFeatures(), { 'rx-gro': true }), false);
});
