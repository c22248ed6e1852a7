import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topologyChecks } from '../../../src/doctor/topology.js';
import { builtinKnownProblems, knownProblemFindings } from '../../../src/doctor/known-problems.js';
import { feats, iface, observation, PATH_ON } from './helpers.js';

const NO_FWD = { forwarding: { ipv4: false, ipv6: false } };

function host(
  over: {
    uplink?: Record<string, string>;
    bridge?: Record<string, string>;
    tap?: Record<string, string>;
    tapMtu?: number;
    bridgeMtu?: number;
  } = {},
) {
  return observation([
    iface('lo', { role: 'loopback', features: feats({ 'rx-lro': 'off [fixed]' }) }),
    iface('eno1', {
      role: 'uplink',
      master: 'vmbr0',
      driver: 'e1000e',
      features: feats({ ...PATH_ON, ...over.uplink }),
    }),
    iface('vmbr0', {
      role: 'bridge',
      kind: 'bridge',
      driver: 'bridge',
      mtu: over.bridgeMtu ?? 1500,
      features: feats({ ...PATH_ON, ...over.bridge }),
    }),
    iface('tap100i0', {
      role: 'vm-port',
      kind: 'tun',
      master: 'vmbr0',
      driver: 'tun',
      mtu: over.tapMtu ?? 1500,
      vm: { platform: 'proxmox', id: '100', name: null, nic: '0' },
      features: feats({ ...PATH_ON, ...over.tap }),
    }),
  ]);
}

test('a healthy host has no topology findings, and says why each check passed', () => {
  const r = topologyChecks(host(), NO_FWD);
  assert.deepEqual(r.findings, []);
  assert.ok(r.checks.some((c) => c.check === 'bridge-port-mtu' && c.ifname === 'tap100i0' && c.result === 'ok'));
  const lro = r.checks.find((c) => c.check === 'lro-while-forwarding' && c.ifname === 'eno1')!;
  assert.match(lro.reason, /rx-lro off \[fixed\]/);
});

test('bridge port MTU smaller than the bridge: error, with both MTUs as evidence and the ip command', () => {
  const r = topologyChecks(host({ tapMtu: 1400 }), NO_FWD);
  const f = r.findings.find((x) => x.id === 'bridge-port-mtu')!;
  assert.equal(f.severity, 'error');
  assert.deepEqual(f.interfaces, ['tap100i0', 'vmbr0']);
  assert.deepEqual(f.evidence, ['vmbr0 mtu 1500', 'tap100i0 mtu 1400 (port of vmbr0, role vm-port)']);
  assert.deepEqual(f.fix.other, ['ip link set dev tap100i0 mtu 1500   # or set the bridge and every port to one MTU']);
  const bigger = topologyChecks(host({ tapMtu: 9000 }), NO_FWD).findings.find((x) => x.id === 'bridge-port-mtu')!;
  assert.equal(bigger.severity, 'warning');
});

test('LRO: decided by the active state; on a bridge port → error; fixed-on → no ethtool fix; off [fixed] → ok', () => {
  const on = topologyChecks(host({ uplink: { 'rx-lro': 'on' } }), NO_FWD).findings.find(
    (x) => x.id === 'lro-while-forwarding',
  )!;
  assert.equal(on.severity, 'error');
  assert.deepEqual(on.fix.ethtool, ['ethtool -K eno1 lro off']);
  const fixedOn = topologyChecks(host({ uplink: { 'rx-lro': 'on [fixed]' } }), NO_FWD).findings.find(
    (x) => x.id === 'lro-while-forwarding',
  )!;
  assert.deepEqual(fixedOn.fix.ethtool, []);
  assert.match(fixedOn.cause, /fixed on this device/);
  // requested on but not active (a dependency or the kernel holds it off): nothing to report.
  const held = topologyChecks(host({ uplink: { 'rx-lro': 'off [requested on]' } }), NO_FWD);
  assert.equal(held.findings.filter((x) => x.id === 'lro-while-forwarding').length, 0);
});

test('LRO on a non-bridged interface matters only when the namespace forwards', () => {
  const obs = observation([iface('eth1', { role: 'physical', features: feats({ 'rx-lro': 'on' }) })]);
  assert.equal(topologyChecks(obs, NO_FWD).findings.length, 0);
  const f = topologyChecks(obs, { forwarding: { ipv4: true, ipv6: false } }).findings;
  assert.equal(f.length, 1);
  assert.match(f[0]!.evidence[0]!, /IP forwarding on \(ipv4\)/);
});

test('a tap whose guest negotiated offloads away: info finding listing requested≠active features, no ethtool fix', () => {
  const r = topologyChecks(
    host({ tap: { 'tx-tcp-segmentation': 'off [requested on]', 'tx-checksum-ip-generic': 'off [requested on]' } }),
    NO_FWD,
  );
  const f = r.findings.find((x) => x.id === 'tap-offloads-negotiated-away')!;
  assert.equal(f.severity, 'info');
  assert.deepEqual(f.features, ['tx-checksum-ip-generic', 'tx-tcp-segmentation']);
  assert.match(f.title, /VM 100 on proxmox/);
  assert.deepEqual(f.fix.ethtool, []);
  // …and that is not a path disagreement (nobody asked for it off).
  assert.equal(r.findings.filter((x) => x.id === 'path-offload-mismatch').length, 0);
});

test('half-applied advice: tso off on the bridge only → path mismatch naming every hop; fix turns it back on or measure', () => {
  const r = topologyChecks(host({ bridge: { 'tx-tcp-segmentation': 'off' } }), NO_FWD);
  const f = r.findings.filter((x) => x.id === 'path-offload-mismatch');
  assert.equal(f.length, 1);
  assert.deepEqual(f[0]!.interfaces, ['eno1', 'vmbr0', 'tap100i0']);
  assert.deepEqual(f[0]!.evidence, ['eno1 (uplink): tso on', 'vmbr0 (bridge): tso off', 'tap100i0 (vm-port): tso on']);
  assert.deepEqual(f[0]!.fix.ethtool, ['ethtool -K vmbr0 tso on']);
  assert.ok(f[0]!.fix.measure?.startsWith('offloadctl bench'));
  // Fixed-off hardware is not a disagreement.
  const fixed = topologyChecks(host({ uplink: { 'tx-tcp-segmentation': 'off [fixed]' } }), NO_FWD);
  assert.equal(fixed.findings.length, 0);
});

test('known problems: e1000e with TSO active → warning with the tso-gso-off profile command; TSO off → nothing', () => {
  const f = knownProblemFindings(host().interfaces, builtinKnownProblems());
  assert.equal(f.length, 1);
  assert.equal(f[0]!.id, 'known-e1000e-tso');
  assert.equal(f[0]!.severity, 'warning');
  assert.deepEqual(f[0]!.fix.ethtool, ['ethtool -K eno1 tso off']);
  assert.ok(f[0]!.fix.measure);
  assert.equal(f[0]!.fix.offloadctl[0], 'offloadctl apply --profile tso-gso-off --interface eno1 --yes');
  const off = knownProblemFindings(
    host({ uplink: { 'tx-tcp-segmentation': 'off' } }).interfaces,
    builtinKnownProblems(),
  );
  assert.equal(off.length, 0);
});

test('gro off on a veth VM port (Xen vif simulated by veth) is the veth default, not a disagreement', () => {
  const obs = host();
  obs.interfaces.push(
    iface('vif1.0', {
      role: 'vm-port',
      kind: 'veth',
      master: 'vmbr0',
      driver: 'veth',
      features: feats({ ...PATH_ON, 'rx-gro': 'off' }),
    }),
  );
  assert.deepEqual(
    topologyChecks(obs, NO_FWD).findings.map((f) => f.id),
    [],
  );
});

test('a port lowered to 1400 pulled its bridge down (br_mtu_auto_adjust): that port is named, the six others are not', () => {
  const vifs = [1, 2, 3, 4, 5, 6, 7].map((d) =>
    iface(`vif${d}.0`, {
      role: 'vm-port',
      kind: 'veth',
      master: 'xenbr0',
      mtu: d === 2 ? 1400 : 1500,
      features: feats(PATH_ON),
    }),
  );
  const obs = observation([
    iface('xenbr0', { role: 'bridge', kind: 'bridge', mtu: 1400, features: feats(PATH_ON) }),
    ...vifs,
  ]);
  const mtu = topologyChecks(obs, NO_FWD).findings.filter((f) => f.id === 'bridge-port-mtu');
  assert.equal(mtu.length, 1);
  assert.deepEqual(mtu[0]!.interfaces, ['vif2.0', 'xenbr0']);
  assert.equal(mtu[0]!.severity, 'error');
  assert.deepEqual(mtu[0]!.fix.other, [
    'ip link set dev vif2.0 mtu 1500   # xenbr0 follows back up (br_mtu_auto_adjust); or find what lowered it (the VM, a script)',
  ]);
});
