import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  featureCell,
  featuresOf,
  selectInterfaces,
  statusJson,
  statusTable,
  treeOrder,
} from '../../../src/host/status-view.js';
import { buildObservation } from '../../../src/host/observe.js';
import { emptyVmIndex } from '../../../src/host/vm.js';
import { OffloadError } from '../../../src/model/errors.js';
import type { FeatureMap, Observation } from '../../../src/model/types.js';
import { feats, link, TAP } from './helpers.js';

const VETH = feats({
  'tx-scatter-gather': 'on',
  'tx-checksum-ip-generic': 'on',
  'tx-generic-segmentation': 'on',
  'rx-gro': 'off',
  'rx-lro': 'off-fixed',
  'tx-tcp-segmentation': 'on',
  'tx-tcp-ecn-segmentation': 'on',
  'tx-tcp6-segmentation': 'on',
  'tx-tcp-accecn-segmentation': 'on',
  'rx-checksum': 'on',
  'rx-vlan-hw-parse': 'on',
  'tx-vlan-hw-insert': 'on',
  'rx-ntuple-filter': 'off-fixed',
  'rx-hashing': 'off-fixed',
});
// A fresh tap: QEMU has not set offloads yet (TUNSETOFFLOAD), so TSO and tx csum are held off.
const TAPF = feats({
  'tx-scatter-gather': 'on',
  'tx-checksum-ip-generic': 'off-req-on',
  'tx-generic-segmentation': 'on',
  'rx-gro': 'on',
  'rx-lro': 'off-fixed',
  'tx-tcp-segmentation': 'off-req-on',
  'tx-tcp-ecn-segmentation': 'off-req-on',
  'tx-tcp6-segmentation': 'off-req-on',
  'tx-tcp-accecn-segmentation': 'off-fixed',
  'rx-checksum': 'off-fixed',
});

function observation(): Observation {
  const links = [
    link(1, 'lo', { flags: 0x8, mtu: 65536 }),
    link(2, 'br0', { kind: 'bridge' }),
    link(3, 'vnet0', { kind: 'tun', tun: TAP, masterIndex: 5, slaveKind: 'bond' }), // odd but legal nesting
    link(4, 'vif1.0', { kind: 'veth', masterIndex: 2, slaveKind: 'bridge' }),
    link(5, 'bond0', { kind: 'bond', masterIndex: 2, slaveKind: 'bridge', mtu: 9000 }),
    link(6, 'eth1', { physical: true }),
  ];
  const features = new Map<number, FeatureMap>(links.map((l) => [l.ifindex, l.kind === 'tun' ? TAPF : VETH]));
  return buildObservation({ links, features, vmIndex: emptyVmIndex(), backend: 'fake', takenAt: 'now' });
}

test('featuresOf: ethtool short-name patterns over the kernel names present', () => {
  assert.deepEqual(featuresOf('tso', VETH), [
    'tx-tcp-segmentation',
    'tx-tcp-ecn-segmentation',
    'tx-tcp6-segmentation',
    'tx-tcp-accecn-segmentation',
  ]);
  assert.deepEqual(featuresOf('tx', VETH), ['tx-checksum-ip-generic']);
  assert.deepEqual(featuresOf('sg', VETH), ['tx-scatter-gather']);
});

test('featureCell: on/off, [fixed], [req on], partial', () => {
  const cell = (fm: FeatureMap, short: string) => featureCell(fm, featuresOf(short, fm));
  assert.equal(cell(VETH, 'tso'), 'on');
  assert.equal(cell(VETH, 'gro'), 'off');
  assert.equal(cell(VETH, 'lro'), 'off [fixed]');
  assert.equal(cell(TAPF, 'tso'), 'off [req on]'); // accecn is fixed off: not counted
  assert.equal(cell(TAPF, 'tx'), 'off [req on]');
  assert.equal(cell(TAPF, 'rx'), 'off [fixed]');
  assert.equal(cell(TAPF, 'ntuple'), '-');
  const partial = feats({
    'tx-tcp-segmentation': 'on',
    'tx-tcp6-segmentation': 'off',
    'tx-tcp-ecn-segmentation': 'off-fixed',
  });
  assert.equal(cell(partial, 'tso'), 'on 1/2');
  // A typical NIC: mangleid (opt-in) off is not "partial".
  const nic = feats({
    'tx-tcp-segmentation': 'on',
    'tx-tcp6-segmentation': 'on',
    'tx-tcp-mangleid-segmentation': 'off',
    'tx-tcp-ecn-segmentation': 'off-fixed',
  });
  assert.equal(cell(nic, 'tso'), 'on');
  const reqOff = feats({ 'rx-gro': 'on-req-off' });
  assert.equal(cell(reqOff, 'gro'), 'on [req off]');
  assert.equal(cell(feats({ 'rx-gro': 'on-fixed' }), 'gro'), 'on [fixed]');
});

test('treeOrder: ports under their master, depth-first, nested bonds', () => {
  const order = treeOrder(observation().interfaces).map(({ iface, depth }) => `${'  '.repeat(depth)}${iface.name}`);
  assert.deepEqual(order, ['lo', 'br0', '  vif1.0', '  bond0', '    vnet0', 'eth1']);
});

test('statusTable: loopback hidden unless --all; columns; legend only for markers shown', () => {
  const t = statusTable(observation().interfaces);
  assert.deepEqual(t.headers, [
    'NAME',
    'ROLE',
    'VM',
    'MASTER',
    'DRIVER',
    'MTU',
    'TSO',
    'GSO',
    'GRO',
    'LRO',
    'SG',
    'TX-CSUM',
    'RX-CSUM',
  ]);
  assert.deepEqual(
    t.rows.map((r) => r[0]),
    ['br0', '  vif1.0', '  bond0', '    vnet0', 'eth1'],
  );
  assert.deepEqual(t.rows[3], [
    '    vnet0',
    'vm-port',
    'libvirt:?',
    'bond0',
    '-',
    '1500',
    'off [req on]',
    'on',
    'on',
    'off [fixed]',
    'on',
    'off [req on]',
    'off [fixed]',
  ]);
  assert.deepEqual(t.rows[1]!.slice(1, 6), ['vm-port', 'xen:dom1', 'br0', '-', '1500']);
  assert.equal(t.rows[2]![5], '9000');
  assert.equal(t.legend.length, 2);

  const all = statusTable(observation().interfaces, { all: true });
  assert.equal(all.rows[0]![0], 'lo');
  assert.deepEqual(all.headers.slice(-4), ['RXVLAN', 'TXVLAN', 'NTUPLE', 'RXHASH']);
});

test('selectInterfaces: names, globs, masters bring their ports, unknown → not-found (exit 2)', () => {
  const obs = observation();
  assert.deepEqual(
    selectInterfaces(obs, ['eth1']).map((i) => i.name),
    ['eth1'],
  );
  assert.deepEqual(
    selectInterfaces(obs, ['bond0']).map((i) => i.name),
    ['vnet0', 'bond0'],
  );
  assert.deepEqual(
    selectInterfaces(obs, ['br0']).map((i) => i.name),
    ['br0', 'vnet0', 'vif1.0', 'bond0'],
  );
  assert.deepEqual(
    selectInterfaces(obs, ['vif?.0', 'e*']).map((i) => i.name),
    ['vif1.0', 'eth1'],
  );
  assert.deepEqual(
    selectInterfaces(obs, ['vif1.0']).map((i) => i.name),
    ['vif1.0'],
  ); // dot is literal
  assert.throws(
    () => selectInterfaces(obs, ['vif1x0']),
    (e: unknown) => e instanceof OffloadError && e.exitCode === 2 && /no such interface: vif1x0/.test(e.message),
  );
  assert.throws(() => selectInterfaces(obs, ['zz*']), /no interface matches zz\*/);
  assert.equal(selectInterfaces(obs, []).length, 6);
});

test('statusJson: exactly the documented keys, every feature', () => {
  const j = statusJson(observation().interfaces);
  const vif = j.interfaces[3] as Record<string, unknown>;
  assert.deepEqual(Object.keys(vif), [
    'name',
    'ifindex',
    'kind',
    'role',
    'master',
    'driver',
    'mtu',
    'operstate',
    'vm',
    'features',
  ]);
  assert.deepEqual(vif.vm, { platform: 'xen', id: '1', name: null, nic: '0' });
  assert.deepEqual(vif.features, VETH);
  assert.equal((j.interfaces[0] as { vm: unknown }).vm, null);
});
