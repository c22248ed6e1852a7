import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildObservation } from '../../../src/host/observe.js';
import { emptyVmIndex } from '../../../src/host/vm.js';
import { statusTable } from '../../../src/host/status-view.js';
import { atom, mapOf, setOf, topologyFromTables } from '../../../src/ovs/wire.js';
import { ovsPortIndex } from '../../../src/ovs/ports.js';
import type { Interface, LinkInfo } from '../../../src/model/types.js';
import type { OvsTopology } from '../../../src/ovs/types.js';
import { KERNEL_DATAPATH_LINKS, OPENSTACK_LINKS, XCPNG_LINKS, featuresOf, fixtureTopology } from './fixtures.js';
import { link, TAP } from '../host/helpers.js';

function observe(links: LinkInfo[], ovs: OvsTopology | null, vmIndex = emptyVmIndex()) {
  return buildObservation({ links, features: featuresOf(links), backend: 'fake', ovs, vmIndex });
}

function byName(ifs: Interface[]): Record<string, Interface> {
  return Object.fromEntries(ifs.map((i) => [i.name, i]));
}

test('OVSDB wire values: uuid atoms, one-element sets as bare atoms, empty sets, maps', () => {
  assert.equal(atom(['uuid', 'abc']), 'abc');
  assert.deepEqual(setOf(['set', []]), []);
  assert.deepEqual(setOf('balance-slb'), ['balance-slb']);
  assert.deepEqual(setOf(['uuid', 'u1']), ['u1']);
  assert.deepEqual(
    setOf([
      'set',
      [
        ['uuid', 'a'],
        ['uuid', 'b'],
      ],
    ]),
    ['a', 'b'],
  );
  assert.deepEqual(
    mapOf([
      'map',
      [
        ['iface-id', 'p'],
        ['attached-mac', 'fa:16:3e:00:00:01'],
      ],
    ]),
    { 'iface-id': 'p', 'attached-mac': 'fa:16:3e:00:00:01' },
  );
});

test('kernel datapath (Proxmox + OVS): ports leave ovs-system for their OVS bridge; roles from OVSDB', () => {
  const topo = fixtureTopology('kernel-datapath');
  assert.deepEqual(
    topo.bridges.map((b) => b.name),
    ['vmbr0'],
  );
  const before = byName(observe(KERNEL_DATAPATH_LINKS, null).interfaces);
  assert.equal(before.tap100i0!.master, 'ovs-system', 'without OVSDB the kernel master is the datapath');
  const i = byName(observe(KERNEL_DATAPATH_LINKS, topo).interfaces);
  assert.deepEqual([i.vmbr0!.role, i.vmbr0!.master], ['bridge', null]);
  assert.deepEqual([i.eno1!.role, i.eno1!.master], ['uplink', 'vmbr0']);
  assert.deepEqual([i.eno2!.role, i.eno2!.master, i.eno2!.ovs?.port], ['uplink', 'vmbr0', 'bond0']);
  assert.deepEqual([i.eno3!.role, i.eno3!.ovs?.port], ['uplink', 'bond0']);
  assert.deepEqual([i.vlan50!.role, i.vlan50!.master, i.vlan50!.ovs?.type], ['other', 'vmbr0', 'internal']);
  assert.deepEqual([i.tap100i0!.role, i.tap100i0!.master], ['vm-port', 'vmbr0']);
  assert.deepEqual(i.tap100i0!.vm, { platform: 'proxmox', id: '100', name: null, nic: 'net0' });
  // The shared tunnel device is not in OVSDB: it stays under the datapath, as a tunnel.
  assert.deepEqual([i.vxlan_sys_4789!.role, i.vxlan_sys_4789!.master], ['tunnel', 'ovs-system']);
  assert.deepEqual([i['ovs-system']!.role, i['ovs-system']!.vm], ['other', null]);
  // status: the OVS bridge with its ports under it.
  const rows = statusTable(observe(KERNEL_DATAPATH_LINKS, topo).interfaces).rows.map((r) => r[0]);
  const at = rows.indexOf('vmbr0');
  assert.ok(at >= 0);
  for (const p of ['eno1', 'eno2', 'eno3', 'vlan50', 'tap100i0', 'tap101i0'])
    assert.ok(rows.includes('  ' + p), `${p} under vmbr0: ${rows}`);
});

test('XCP-ng: xenbr0 and xapi1 with their PIFs, VIFs owned by the xs-vm-uuid', () => {
  const i = byName(observe(XCPNG_LINKS, fixtureTopology('xcp-ng')).interfaces);
  assert.deepEqual([i.xenbr0!.role, i.xapi1!.role], ['bridge', 'bridge']);
  assert.deepEqual([i.eth0!.role, i.eth0!.master], ['uplink', 'xenbr0']);
  assert.deepEqual([i.eth1!.role, i.eth1!.master, i.eth1!.ovs?.port], ['uplink', 'xapi1', 'bond0']);
  assert.deepEqual([i['vif3.0']!.role, i['vif3.0']!.master], ['vm-port', 'xenbr0']);
  assert.deepEqual(i['vif3.0']!.vm, {
    platform: 'xen',
    id: '0f3c2b1a-4d5e-4f60-8a7b-9c8d7e6f5a41',
    name: null,
    nic: '0',
  });
  assert.equal(i['vif3.0']!.ovs?.externalIds['xs-vif-uuid'], 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d');
  assert.deepEqual([i['tap3.0']!.role, i['tap3.0']!.vm?.id], ['vm-port', '0f3c2b1a-4d5e-4f60-8a7b-9c8d7e6f5a41']);
  assert.deepEqual([i['vif3.1']!.master, i['vif3.1']!.vm?.nic], ['xapi1', '1']);
});

test('OpenStack: br-int/br-tun/br-ex; the tap is the nova instance (vm-uuid), named from libvirt nova metadata', () => {
  const vms = emptyVmIndex();
  vms.byIfname.set('tap3f1c2a9b-12', { platform: 'openstack', id: '3f1c2a9b-12', name: 'web01', nic: null });
  const i = byName(observe(OPENSTACK_LINKS, fixtureTopology('openstack'), vms).interfaces);
  assert.deepEqual(
    ['br-int', 'br-tun', 'br-ex'].map((b) => [i[b]!.role, i[b]!.master]),
    [
      ['bridge', null],
      ['bridge', null],
      ['bridge', null],
    ],
  );
  assert.deepEqual([i.eno2!.role, i.eno2!.master], ['uplink', 'br-ex']);
  assert.deepEqual([i.eno1!.role, i.eno1!.master], ['physical', null], 'a NIC outside OVS keeps its kernel role');
  assert.deepEqual([i['tap3f1c2a9b-12']!.role, i['tap3f1c2a9b-12']!.master], ['vm-port', 'br-int']);
  assert.deepEqual(i['tap3f1c2a9b-12']!.vm, {
    platform: 'openstack',
    id: '7e4b1c9d-2f3a-4b5c-8d6e-0f1a2b3c4d5e',
    name: 'web01',
    nic: '3f1c2a9b-12ab-4cde-8f01-23456789abcd',
  });
  assert.deepEqual([i.vxlan_sys_4789!.role, i.vxlan_sys_4789!.master], ['tunnel', 'ovs-system']);
});

test('libvirt <virtualport type=openvswitch>: vm-id names the domain', () => {
  const topo = topologyFromTables({
    Bridge: [
      { _uuid: ['uuid', 'b'], name: 'ovsbr0', datapath_type: '', ports: ['uuid', 'p'], external_ids: ['map', []] },
    ],
    Port: [
      {
        _uuid: ['uuid', 'p'],
        name: 'vnet3',
        interfaces: ['uuid', 'i'],
        bond_mode: ['set', []],
        external_ids: ['map', []],
      },
    ],
    Interface: [
      {
        _uuid: ['uuid', 'i'],
        name: 'vnet3',
        type: '',
        ifindex: 4,
        mtu: 1500,
        options: ['map', []],
        external_ids: [
          'map',
          [
            ['iface-id', 'e1d5c0f2-1111-2222-3333-444455556666'],
            ['vm-id', 'c0ffee00-0000-4000-8000-000000000001'],
            ['attached-mac', '52:54:00:aa:bb:cc'],
          ],
        ],
      },
    ],
  });
  const links = [link(4, 'vnet3', { kind: 'tun', tun: TAP })];
  const i = observe(links, topo).interfaces[0]!;
  assert.deepEqual([i.role, i.master], ['vm-port', 'ovsbr0']);
  assert.deepEqual(i.vm, {
    platform: 'libvirt',
    id: 'c0ffee00-0000-4000-8000-000000000001',
    name: null,
    nic: '52:54:00:aa:bb:cc',
  });
});

test("an OVSDB ifindex that is not this namespace's link is not this link (OVS elsewhere, stale row)", () => {
  const topo = fixtureTopology('kernel-datapath'); // eno1 has ifindex 4 there
  const links = [link(40, 'eno1', { physical: true })];
  assert.equal(ovsPortIndex(topo, new Map([['eno1', { ifindex: 40, mac: null }]])).size, 0);
  const i = observe(links, topo).interfaces[0]!;
  assert.deepEqual([i.role, i.master, i.ovs], ['physical', null, undefined]);
});

test('userspace datapath: ovs-netdev (a tap) is plumbing, not a VM port', () => {
  const topo: OvsTopology = { bridges: [] };
  const links = [link(3, 'ovs-netdev', { kind: 'tun', tun: TAP })];
  assert.equal(observe(links, null).interfaces[0]!.role, 'vm-port', 'without OVS it is just a tap');
  assert.deepEqual([observe(links, topo).interfaces[0]!.role, observe(links, topo).interfaces[0]!.vm], ['other', null]);
});

test('status --json: the fast serializer and statusJson agree on OVS interfaces (the ovs object)', async () => {
  const { statusJson } = await import('../../../src/host/status-view.js');
  const { statusJsonText } = await import('../../../src/host/status-json.js');
  const ifs = observe(XCPNG_LINKS, fixtureTopology('xcp-ng')).interfaces;
  assert.ok(ifs.some((i) => i.ovs));
  assert.equal(statusJsonText(ifs), JSON.stringify(statusJson(ifs), null, 2) + '\n');
  const vif = (
    JSON.parse(statusJsonText(ifs)) as { interfaces: { name: string; ovs?: { externalIds: Record<string, string> } }[] }
  ).interfaces.find((i) => i.name === 'vif3.0')!;
  assert.equal(vif.ovs?.externalIds['xs-vif-uuid'], 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d');
});

test("same name and ifindex but another MAC (mac_in_use): another namespace's device, not this link", () => {
  const topo = fixtureTopology('xcp-ng'); // eth0: ifindex 2, mac_in_use 02:00:00:00:00:02
  const mine = [link(2, 'eth0', { physical: true, mac: '02:00:00:00:00:02' })];
  const other = [link(2, 'eth0', { physical: true, mac: '52:54:00:12:34:56' })];
  assert.equal(observe(mine, topo).interfaces[0]!.master, 'xenbr0');
  assert.deepEqual(
    [observe(other, topo).interfaces[0]!.master, observe(other, topo).interfaces[0]!.ovs],
    [null, undefined],
  );
});
