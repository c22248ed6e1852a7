import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  emptyVmIndex,
  formatVm,
  libvirtIndex,
  parseLibvirtDomainXml,
  parseProxmoxConfName,
  resolveVm,
  vmHintFromName,
} from '../../../src/host/vm.js';
import { readVmIndex } from '../../../src/host/vm-reader.js';

const fixtureUrl = (f: string) => new URL(`./fixtures/${f}`, import.meta.url);
const fixture = (f: string) => readFileSync(fixtureUrl(f), 'utf8');

test('libvirt domain status XML (real format): name, uuid, id, state, every interface with a target', () => {
  const d = parseLibvirtDomainXml(fixture('libvirt-web01.xml'));
  assert.ok(d);
  assert.equal(d.name, 'web01'); // not the <name> inside free-form <metadata>
  assert.equal(d.uuid, '6f9d8a5e-2c41-4b7a-9e0d-3a1f5c7b8e21');
  assert.equal(d.domid, '1');
  assert.equal(d.state, 'running');
  assert.equal(d.novaName, null);
  assert.deepEqual(d.interfaces, [
    { target: 'vnet0', mac: '52:54:00:6b:3c:58', alias: 'net0', type: 'bridge' },
    { target: 'macvtap0', mac: '52:54:00:aa:bb:cc', alias: 'net1', type: 'direct' }, // double quotes
    { target: 'web-&-nic2', mac: '52:54:00:11:22:33', alias: 'net2', type: 'network' }, // entity decoded
  ]); // the hostdev interface has no host-side device
});

test('libvirt: plain <domain> (virsh dumpxml) and garbage', () => {
  const d = parseLibvirtDomainXml(
    `<domain type="kvm"><name>a&lt;b</name><devices><interface type="ethernet"><target dev="tapx"/></interface></devices></domain>`,
  );
  assert.deepEqual(d, {
    name: 'a<b',
    uuid: null,
    domid: null,
    state: null,
    novaName: null,
    interfaces: [{ target: 'tapx', mac: null, alias: null, type: 'ethernet' }],
  });
  assert.equal(parseLibvirtDomainXml('not xml'), null);
  assert.equal(parseLibvirtDomainXml('<domain type="kvm"></domain>'), null);
  assert.equal(parseLibvirtDomainXml('<domainsnapshot><name>x</name></domainsnapshot>'), null);
});

test('libvirt index: target dev → VM, MAC as NIC', () => {
  const idx = libvirtIndex([parseLibvirtDomainXml(fixture('libvirt-web01.xml'))!]);
  assert.deepEqual(idx.get('vnet0'), {
    platform: 'libvirt',
    id: '6f9d8a5e-2c41-4b7a-9e0d-3a1f5c7b8e21',
    name: 'web01',
    nic: '52:54:00:6b:3c:58',
  });
  assert.equal(idx.get('macvtap0')?.name, 'web01');
  assert.equal(idx.size, 3);
});

test('libvirt index on an OpenStack compute node: nova-managed domains are OpenStack VMs', () => {
  const xml = `<domstatus state='running'><domain type='kvm' id='7'><name>instance-0000002a</name><uuid>aaaa</uuid>
    <metadata><nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1"><nova:name>web &amp; api</nova:name></nova:instance></metadata>
    <devices><interface type='ethernet'><mac address='fa:16:3e:01:02:03'/><target dev='tap3f1c2a9b-12'/></interface>
    <interface type='bridge'><mac address='fa:16:3e:01:02:04'/><target dev='vnet9'/></interface></devices></domain></domstatus>`;
  const idx = libvirtIndex([parseLibvirtDomainXml(xml)!]);
  assert.deepEqual(idx.get('tap3f1c2a9b-12'), {
    platform: 'openstack',
    id: '3f1c2a9b-12',
    name: 'web & api',
    nic: 'fa:16:3e:01:02:03',
  });
  assert.deepEqual(idx.get('vnet9'), {
    platform: 'openstack',
    id: 'aaaa',
    name: 'web & api',
    nic: 'fa:16:3e:01:02:04',
  });
  assert.equal(formatVm(idx.get('vnet9')!), 'openstack:web & api');
});

test('naming schemes of every platform', () => {
  const cases: [string, ReturnType<typeof vmHintFromName>][] = [
    ['vnet7', { vm: { platform: 'libvirt', id: null, name: null, nic: null }, firewall: false, port: true }],
    ['macvtap3', { vm: { platform: 'libvirt', id: null, name: null, nic: null }, firewall: false, port: true }],
    ['tap100i0', { vm: { platform: 'proxmox', id: '100', name: null, nic: 'net0' }, firewall: false, port: true }],
    ['tap1234i12', { vm: { platform: 'proxmox', id: '1234', name: null, nic: 'net12' }, firewall: false, port: true }],
    ['veth101i0', { vm: { platform: 'proxmox', id: '101', name: null, nic: 'net0' }, firewall: false, port: true }],
    ['fwbr100i0', { vm: { platform: 'proxmox', id: '100', name: null, nic: 'net0' }, firewall: true, port: false }],
    ['fwpr100p1', { vm: { platform: 'proxmox', id: '100', name: null, nic: 'net1' }, firewall: true, port: false }],
    ['fwln100i1', { vm: { platform: 'proxmox', id: '100', name: null, nic: 'net1' }, firewall: true, port: false }],
    [
      'tap3f1c2a9b-12',
      { vm: { platform: 'openstack', id: '3f1c2a9b-12', name: null, nic: null }, firewall: false, port: true },
    ],
    [
      'qbr3f1c2a9b-12',
      { vm: { platform: 'openstack', id: '3f1c2a9b-12', name: null, nic: null }, firewall: true, port: false },
    ],
    [
      'qvb3f1c2a9b-12',
      { vm: { platform: 'openstack', id: '3f1c2a9b-12', name: null, nic: null }, firewall: true, port: false },
    ],
    [
      'qvo3f1c2a9b-12',
      { vm: { platform: 'openstack', id: '3f1c2a9b-12', name: null, nic: null }, firewall: true, port: false },
    ],
    ['vif3.0', { vm: { platform: 'xen', id: '3', name: null, nic: '0' }, firewall: false, port: true }],
    ['vif12.1-emu', { vm: { platform: 'xen', id: '12', name: null, nic: '1' }, firewall: false, port: true }],
    ['tap12.1', { vm: { platform: 'xen', id: '12', name: null, nic: '1' }, firewall: false, port: true }],
  ];
  for (const [name, want] of cases) assert.deepEqual(vmHintFromName(name), want, name);
  for (const name of [
    'eth0',
    'vnet',
    'vnetx',
    'tap100',
    'tapi0',
    'vif3',
    'vif3.0-x',
    'qvbXYZ',
    'tap3f1c2a9b-1',
    'br0',
    'vmbr0',
    'fwbr100',
  ]) {
    assert.equal(vmHintFromName(name), null, name);
  }
});

test('resolveVm: libvirt record wins over the name; Proxmox names from configs', () => {
  const idx = emptyVmIndex();
  idx.byIfname.set('tap100i0', { platform: 'libvirt', id: 'u', name: 'odd', nic: null });
  idx.proxmoxNames.set('101', 'db');
  assert.equal(resolveVm('tap100i0', idx)?.platform, 'libvirt');
  assert.deepEqual(resolveVm('tap101i1', idx), { platform: 'proxmox', id: '101', name: 'db', nic: 'net1' });
  assert.equal(resolveVm('eth0', idx), null);
});

test('Proxmox config: name of the current config, not of a snapshot section', () => {
  assert.equal(parseProxmoxConfName(fixture('proxmox-100.conf')), 'db-primary');
  assert.equal(parseProxmoxConfName('cores: 1\n[snap]\nname: x\n'), null);
});

test('readVmIndex: reads libvirt XML and only the Proxmox configs interface names mention; missing dirs are fine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'olc-vm-'));
  try {
    copyFileSync(fixtureUrl('libvirt-web01.xml'), join(dir, 'web01.xml'));
    writeFileSync(join(dir, 'web01.xml.bak'), 'ignored');
    writeFileSync(join(dir, 'broken.xml'), '<domstatus>');
    copyFileSync(fixtureUrl('proxmox-100.conf'), join(dir, '100.conf'));
    writeFileSync(join(dir, '200.conf'), 'name: unused\n');
    const idx = readVmIndex({ libvirtDir: dir, proxmoxDir: dir }, ['vnet0', 'tap100i0', 'fwbr100i0', 'eth0']);
    assert.equal(idx.byIfname.get('vnet0')?.name, 'web01');
    assert.deepEqual([...idx.proxmoxNames], [['100', 'db-primary']]);
    const none = readVmIndex({ libvirtDir: join(dir, 'nope'), proxmoxDir: join(dir, 'nope') }, ['tap100i0']);
    assert.equal(none.byIfname.size + none.proxmoxNames.size, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('formatVm', () => {
  assert.equal(formatVm(null), '-');
  assert.equal(formatVm({ platform: 'libvirt', id: 'u', name: 'web01', nic: null }), 'libvirt:web01');
  assert.equal(formatVm({ platform: 'libvirt', id: null, name: null, nic: null }), 'libvirt:?');
  assert.equal(formatVm({ platform: 'proxmox', id: '100', name: 'db', nic: 'net0' }), 'proxmox:100(db)');
  assert.equal(formatVm({ platform: 'proxmox', id: '100', name: null, nic: 'net0' }), 'proxmox:100');
  assert.equal(formatVm({ platform: 'xen', id: '3', name: null, nic: '0' }), 'xen:dom3');
  assert.equal(formatVm({ platform: 'openstack', id: '3f1c2a9b-12', name: null, nic: null }), 'openstack:3f1c2a9b-12');
  assert.equal(formatVm({ platform: 'openstack', id: '3f1c2a9b-12', name: 'web', nic: null }), 'openstack:web');
});
