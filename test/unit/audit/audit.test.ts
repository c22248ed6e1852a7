import { test } from 'node:test';
import assert from 'node:assert/strict';
import { audit } from '../../../src/audit/audit.js';
import { findingTable, groupFindings, summaryLine } from '../../../src/audit/render.js';
import { filterInterfaces, loadPolicy, resolvePolicy } from '../../../src/policy/index.js';
import type { Observation } from '../../../src/model/types.js';
import { FEATURES_61, FEATURES_618, features, iface, kvmHost, observation } from '../policy/helpers.js';

const TSO_618 = FEATURES_618.filter((f) => /^tx-tcp.*-segmentation$/.test(f));

function run(obs: Observation, profile = 'tso-gso-off', strict = false) {
  return audit(obs, resolvePolicy(loadPolicy({ profile }), obs), { strict, source: 'builtin' });
}

/** Everything TSO/GSO off (what `ethtool -K X tso off gso off` leaves). */
function allOff(obs: Observation): Observation {
  for (const i of obs.interfaces) {
    for (const [k, st] of Object.entries(i.features)) {
      if (/^tx-tcp.*-segmentation$/.test(k) || k === 'tx-generic-segmentation') {
        st.active = false;
        st.requested = false;
      }
    }
  }
  return obs;
}

test('defaults against tso-gso-off: every non-loopback interface deviates, one finding per kernel feature', () => {
  const r = run(kvmHost());
  assert.equal(r.compliant, false);
  assert.equal(r.summary.observed, 6);
  assert.equal(r.summary.audited, 5);
  assert.equal(r.summary.deviating, 5);
  assert.ok(!r.interfaces.some((i) => i.ifname === 'lo'));
  const br = r.findings.filter((f) => f.ifname === 'br0');
  assert.deepEqual(br.map((f) => f.feature).sort(), [...TSO_618, 'tx-generic-segmentation'].sort());
  assert.deepEqual(
    { ...br.find((f) => f.feature === 'tx-tcp-segmentation')!, ifindex: 0 },
    {
      type: 'feature',
      ifname: 'br0',
      ifindex: 0,
      role: 'bridge',
      vm: null,
      feature: 'tx-tcp-segmentation',
      shortName: 'tso',
      expected: false,
      actual: true,
      requested: true,
      fixed: false,
      rule: 'tso-gso-off',
    },
  );
  const tapRows = groupFindings(r.findings.filter((f) => f.ifname === 'tap100i0'));
  assert.equal(tapRows[0]!.vm, 'proxmox:100', 'the VM column names the owner');
  // vnet3 runs a 6.1-like feature list: no accecn finding there.
  assert.equal(r.findings.filter((f) => f.ifname === 'vnet3').length, 5);
});

test('all TSO/GSO off → compliant, exit-0 report, with a summary line that says so', () => {
  const r = run(allOff(kvmHost()));
  assert.equal(r.compliant, true);
  assert.deepEqual(r.findings, []);
  assert.equal(r.summary.compliant, 5);
  assert.match(summaryLine(r), /^compliant: policy tso-gso-off \(built-in\): all 5 audited interfaces comply$/);
});

test('compliance is the ACTIVE state: off [requested on] (a fresh tap) complies; on [requested off] does not', () => {
  const obs = allOff(kvmHost());
  const tap = obs.interfaces.find((i) => i.name === 'tap100i0')!;
  tap.features['tx-tcp-segmentation'] = { active: false, requested: true, fixed: false };
  const br = obs.interfaces.find((i) => i.name === 'br0')!;
  br.features['tx-generic-segmentation'] = { active: true, requested: false, fixed: false };
  const r = run(obs);
  assert.deepEqual(
    r.findings.map((f) => [f.ifname, f.feature, f.requested]),
    [['br0', 'tx-generic-segmentation', false]],
  );
  const rows = groupFindings(r.findings);
  assert.equal(findingTable(rows).cells[0]![5], 'on [requested off]');
  // The tap's held-off bit is reported as latent: it returns when QEMU re-applies offloads.
  assert.deepEqual(
    r.latent.map((f) => [f.type, f.ifname, f.feature, f.actual, f.requested]),
    [['latent', 'tap100i0', 'tx-tcp-segmentation', false, true]],
  );
  assert.equal(r.summary.latent, 1);
  assert.equal(r.interfaces.find((i) => i.ifname === 'tap100i0')!.compliant, true);
});

test('fixed deviations: reported as unchangeable, not counted unless strict', () => {
  const obs = allOff(kvmHost());
  const eno = obs.interfaces.find((i) => i.name === 'eno1')!;
  eno.features['tx-tcp-mangleid-segmentation'] = { active: true, requested: true, fixed: true };
  const r = run(obs);
  assert.equal(r.compliant, true);
  assert.equal(r.summary.unchangeable, 1);
  assert.equal(r.findings[0]!.fixed, true);
  assert.match(summaryLine(r), /1 unchangeable \(fixed\) not counted/);
  assert.equal(findingTable(groupFindings(r.findings)).cells[0]![6], 'no (fixed)');
  const strict = run(obs, 'tso-gso-off', true);
  assert.equal(strict.compliant, false);
  assert.equal(strict.summary.deviating, 1);
  assert.equal(strict.interfaces.find((i) => i.ifname === 'eno1')!.compliant, false);
});

test('bridge port MTU mismatch is its own finding and breaks compliance', () => {
  const obs = allOff(kvmHost());
  obs.interfaces.find((i) => i.name === 'eno1')!.mtu = 9000;
  obs.interfaces.find((i) => i.name === 'veth9')!.mtu = 9000; // not a bridge port: not a finding
  const r = run(obs);
  assert.equal(r.compliant, false);
  assert.deepEqual(r.findings, []);
  assert.deepEqual(
    r.mtuMismatches.map((m) => ({ ...m, ifindex: 0 })),
    [{ type: 'mtu', ifname: 'eno1', ifindex: 0, role: 'uplink', bridge: 'br0', mtu: 9000, bridgeMtu: 1500 }],
  );
  assert.equal(r.interfaces.find((i) => i.ifname === 'eno1')!.mtuMismatch, true);
  assert.match(summaryLine(r), /^NOT compliant: .*1 bridge port with an MTU different from the bridge$/);
});

test('MTU: a port of a bond is not a bridge-port mismatch; with --interface the bridge comes from the context', () => {
  const obs = allOff(
    observation([
      iface('bond0', 'bond', { kind: 'bond', mtu: 9000 }),
      iface('eno1', 'physical', { master: 'bond0', mtu: 1500 }),
      iface('br0', 'bridge', { mtu: 1500 }),
      iface('vnet0', 'vm-port', { master: 'br0', mtu: 1400 }),
    ]),
  );
  const scoped = filterInterfaces(obs, ['vnet0']);
  const r = audit(scoped, resolvePolicy(loadPolicy({}), scoped), { context: obs });
  assert.deepEqual(
    r.mtuMismatches.map((m) => [m.ifname, m.bridge, m.mtu, m.bridgeMtu]),
    [['vnet0', 'br0', 1400, 1500]],
  );
  const full = run(obs);
  assert.deepEqual(
    full.mtuMismatches.map((m) => m.ifname),
    ['vnet0'],
  );
});

test('human view groups tx-tcp*-segmentation under tso; JSON keeps kernel names', () => {
  const obs = observation([iface('br0', 'bridge')]);
  const r = run(obs);
  const rows = groupFindings(r.findings);
  assert.deepEqual(
    rows.map((x) => x.feature),
    ['gso', 'tso'],
  );
  const tso = rows.find((x) => x.feature === 'tso')!;
  assert.deepEqual(tso.kernel.sort(), TSO_618.sort());
  const t = findingTable(rows);
  assert.deepEqual(t.cells[0], [
    'br0',
    'bridge',
    '-',
    'gso',
    'off',
    'on',
    'yes',
    'tso-gso-off',
    'tx-generic-segmentation',
  ]);
  assert.ok(
    r.findings.every((f) => f.feature.startsWith('tx-')),
    'JSON findings use kernel names',
  );
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'the report is plain JSON data');
});

test('offloads-on: fixed-off checksum variants are unchangeable, GRO off on a veth is a real deviation', () => {
  const obs = observation([
    iface('veth0', 'veth', {
      features: features(FEATURES_61, true, {
        'tx-checksum-ipv4': { active: false, requested: false, fixed: true },
        'tx-checksum-ipv6': { active: false, requested: false, fixed: true },
        'rx-gro': { active: false, requested: false },
      }),
    }),
  ]);
  const r = run(obs, 'offloads-on');
  assert.equal(r.compliant, false);
  assert.equal(r.summary.changeable, 1);
  assert.equal(r.summary.unchangeable, 2);
  const rows = groupFindings(r.findings);
  assert.equal(rows.length, 2);
  assert.ok(rows.some((x) => x.feature === 'gro' && !x.fixed));
  assert.ok(
    rows.some((x) => x.feature === 'tx' && x.fixed && x.kernel.join(' ') === 'tx-checksum-ipv4 tx-checksum-ipv6'),
  );
});

test('nothing selected: compliant, and the summary says nothing was audited', () => {
  const obs = observation([iface('lo', 'loopback')]);
  const r = run(obs);
  assert.equal(r.compliant, true);
  assert.equal(r.summary.audited, 0);
  assert.match(summaryLine(r), /no interface to audit/);
});

test('a Desired naming a feature the interface lacks, or a stale ifindex, is ignored', () => {
  const obs = observation([iface('br0', 'bridge', { features: features(['rx-gro'], true) })]);
  const r = audit(obs, {
    policy: 'x',
    interfaces: [
      {
        ifindex: obs.interfaces[0]!.ifindex,
        name: 'br0',
        features: { 'tx-tcp-segmentation': { value: false, rule: 'r' } },
      },
      { ifindex: 999, name: 'gone', features: { 'rx-gro': { value: false, rule: 'r' } } },
    ],
  });
  assert.equal(r.compliant, true);
  assert.equal(r.interfaces[0]!.checked, 0);
});
