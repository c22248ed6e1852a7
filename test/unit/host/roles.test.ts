import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { classifyRole } from '../../../src/host/roles.js';
import { parseIpLinks } from '../../../src/kernel/ethtool-cli/parse-links.js';
import type { LinkInfo } from '../../../src/model/types.js';
import { link, TAP } from './helpers.js';

const fixture = (f: string) => readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8');

function rolesOf(links: LinkInfo[]): Record<string, string> {
  const byIndex = new Map(links.map((l) => [l.ifindex, l]));
  return Object.fromEntries(
    links.map((l) => [
      l.name,
      classifyRole(l, l.masterIndex !== null ? (byIndex.get(l.masterIndex)?.kind ?? null) : null),
    ]),
  );
}

test('recorded Proxmox host with bonds and VLANs (ip -json -d link): every role', () => {
  const roles = rolesOf(parseIpLinks(fixture('ip-link-proxmox-bond-vlan.json')));
  assert.deepEqual(roles, {
    lo: 'loopback',
    eno1: 'physical', // bond slave: the bond is the uplink
    eno2: 'physical',
    eno3: 'physical', // not in a bridge
    eno4: 'uplink', // physical NIC directly in vmbr1
    bond0: 'uplink', // bond in vmbr0
    vmbr0: 'bridge',
    'bond0.100': 'vlan',
    vmbr100: 'bridge',
    vmbr1: 'bridge',
    tap100i0: 'vm-port',
    fwbr100i0: 'firewall',
    fwpr100p0: 'firewall',
    fwln100i0: 'firewall',
    tap100i1: 'vm-port',
    veth101i0: 'vm-port', // Proxmox container NIC
    vxlan100: 'tunnel',
    'eno3.200': 'vlan',
    bond1: 'bond', // not a bridge port
  });
});

test('loopback by name or IFF_LOOPBACK', () => {
  assert.equal(classifyRole(link(1, 'lo')), 'loopback');
  assert.equal(classifyRole(link(7, 'lo2', { flags: 0x8 })), 'loopback');
});

test('taps: any tap is a VM port, a layer-3 tun is other', () => {
  assert.equal(classifyRole(link(2, 'mytap', { kind: 'tun', tun: TAP })), 'vm-port');
  assert.equal(classifyRole(link(2, 'vnet12', { kind: 'tun', tun: TAP })), 'vm-port');
  assert.equal(classifyRole(link(2, 'tun0', { kind: 'tun', tun: { ...TAP, type: 'tun' } })), 'other');
  assert.equal(classifyRole(link(2, 'macvtap0', { kind: 'macvtap' })), 'vm-port');
  assert.equal(classifyRole(link(2, 'mvt', { kind: 'macvtap' })), 'vm-port');
  assert.equal(classifyRole(link(2, 'mv0', { kind: 'macvlan' })), 'other');
});

test('Xen: vif (netback, no rtnl kind, has a sysfs device) and -emu taps are VM ports', () => {
  assert.equal(classifyRole(link(3, 'vif5.0', { physical: true })), 'vm-port');
  assert.equal(classifyRole(link(3, 'vif5.1-emu', { kind: 'tun', tun: TAP })), 'vm-port');
  assert.equal(classifyRole(link(3, 'tap5.0', { kind: 'tun', tun: TAP })), 'vm-port');
  assert.equal(classifyRole(link(3, 'vif12.0', { kind: 'veth' }), 'bridge'), 'vm-port');
});

test('OpenStack hybrid plug: tap is the VM port, qbr/qvb/qvo are firewall plumbing', () => {
  assert.equal(classifyRole(link(4, 'tap3f1c2a9b-12', { kind: 'tun', tun: TAP })), 'vm-port');
  assert.equal(classifyRole(link(4, 'qbr3f1c2a9b-12', { kind: 'bridge' })), 'firewall');
  assert.equal(classifyRole(link(4, 'qvb3f1c2a9b-12', { kind: 'veth' })), 'firewall');
  assert.equal(classifyRole(link(4, 'qvo3f1c2a9b-12', { kind: 'veth' })), 'firewall');
});

test('uplink needs a bridge master; slaveKind or the master kind decides', () => {
  assert.equal(classifyRole(link(5, 'eth0', { physical: true })), 'physical');
  assert.equal(classifyRole(link(5, 'eth0', { physical: true, masterIndex: 9, slaveKind: 'bridge' })), 'uplink');
  assert.equal(classifyRole(link(5, 'eth0', { physical: true, masterIndex: 9 }), 'bridge'), 'uplink');
  assert.equal(
    classifyRole(link(5, 'eth0', { physical: true, masterIndex: 9, slaveKind: 'bond' }), 'bond'),
    'physical',
  );
  assert.equal(classifyRole(link(6, 'bond0', { kind: 'bond', masterIndex: 9 }), 'bridge'), 'uplink');
  assert.equal(classifyRole(link(6, 'bond0', { kind: 'bond' })), 'bond');
});

test('other kinds', () => {
  assert.equal(classifyRole(link(8, 'veth-a', { kind: 'veth' })), 'veth');
  assert.equal(classifyRole(link(8, 'br-x.1', { kind: 'bridge' })), 'bridge');
  for (const k of ['vxlan', 'geneve', 'gre', 'gretap', 'ipip', 'wireguard']) {
    assert.equal(classifyRole(link(8, 't', { kind: k })), 'tunnel', k);
  }
  assert.equal(classifyRole(link(8, 'ifb0', { kind: 'ifb' })), 'other');
  assert.equal(classifyRole(link(8, 'sit0')), 'other'); // kind null, no device: not physical
  assert.equal(classifyRole(link(8, 'vlan7', { kind: 'vlan', vlanId: 7 })), 'vlan');
});
