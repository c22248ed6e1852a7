import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseOvsdbDump, topologyFromTables } from '../../../src/ovs/wire.js';
import type { OvsTopology } from '../../../src/ovs/types.js';
import type { FeatureMap } from '../../../src/model/types.js';
import { feats, link, TAP } from '../host/helpers.js';

/** A recorded `ovsdb-client dump --format=json` from test/fixtures/ovs (see make-fixtures.sh there). */
export function fixtureTopology(name: 'kernel-datapath' | 'xcp-ng' | 'openstack'): OvsTopology {
  const path = fileURLToPath(new URL(`../../fixtures/ovs/${name}.json`, import.meta.url));
  return topologyFromTables(parseOvsdbDump(readFileSync(path, 'utf8')));
}

export const F: FeatureMap = feats({ 'tx-tcp-segmentation': 'on', 'rx-gro-hw': 'off-fixed', 'rx-lro': 'off-fixed' });

/** The kernel links a kernel-datapath host shows: every port's master is ovs-system. */
export const KERNEL_DATAPATH_LINKS = [
  link(1, 'lo', { flags: 0x8 }),
  link(2, 'ovs-system', { kind: 'openvswitch' }),
  link(3, 'vmbr0', { kind: 'openvswitch' }),
  link(4, 'eno1', { physical: true, masterIndex: 2, slaveKind: 'openvswitch' }),
  link(5, 'eno2', { physical: true, masterIndex: 2, slaveKind: 'openvswitch', mtu: 9000 }),
  link(6, 'eno3', { physical: true, masterIndex: 2, slaveKind: 'openvswitch', mtu: 9000 }),
  link(7, 'vlan50', { kind: 'openvswitch' }),
  link(8, 'tap100i0', { kind: 'tun', tun: TAP, masterIndex: 2, slaveKind: 'openvswitch' }),
  link(9, 'tap101i0', { kind: 'tun', tun: TAP, masterIndex: 2, slaveKind: 'openvswitch' }),
  link(10, 'vxlan_sys_4789', { kind: 'vxlan', masterIndex: 2, slaveKind: 'openvswitch', mtu: 65000 }),
];

/** XCP-ng: PIFs eth0-2, netback VIFs (no rtnl kind) and QEMU's emulated tap of an HVM guest. */
export const XCPNG_LINKS = [
  link(1, 'lo', { flags: 0x8 }),
  link(2, 'eth0', { physical: true, masterIndex: 5, slaveKind: 'openvswitch' }),
  link(3, 'eth1', { physical: true, masterIndex: 5, slaveKind: 'openvswitch' }),
  link(4, 'eth2', { physical: true, masterIndex: 5, slaveKind: 'openvswitch' }),
  link(5, 'ovs-system', { kind: 'openvswitch' }),
  link(6, 'xenbr0', { kind: 'openvswitch' }),
  link(7, 'xapi1', { kind: 'openvswitch' }),
  link(10, 'vif3.0', { masterIndex: 5, slaveKind: 'openvswitch' }),
  link(11, 'tap3.0', { kind: 'tun', tun: TAP, masterIndex: 5, slaveKind: 'openvswitch' }),
  link(12, 'vif3.1', { masterIndex: 5, slaveKind: 'openvswitch' }),
];

/** OpenStack compute node (neutron OVS agent, kernel datapath). */
export const OPENSTACK_LINKS = [
  link(1, 'lo', { flags: 0x8 }),
  link(2, 'ovs-system', { kind: 'openvswitch' }),
  link(3, 'eno2', { physical: true, masterIndex: 2, slaveKind: 'openvswitch' }),
  link(4, 'eno1', { physical: true }),
  link(5, 'br-int', { kind: 'openvswitch' }),
  link(6, 'br-tun', { kind: 'openvswitch' }),
  link(7, 'br-ex', { kind: 'openvswitch' }),
  link(8, 'vxlan_sys_4789', { kind: 'vxlan', masterIndex: 2, slaveKind: 'openvswitch', mtu: 65000 }),
  link(9, 'tap3f1c2a9b-12', { kind: 'tun', tun: TAP, masterIndex: 2, slaveKind: 'openvswitch', mtu: 1450 }),
];

export function featuresOf(links: readonly { ifindex: number }[]): Map<number, FeatureMap> {
  return new Map(links.map((l) => [l.ifindex, F]));
}
