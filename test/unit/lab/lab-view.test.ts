import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labStatusText } from '../../../src/lab/lab-view.js';
import type { LabStatus } from '../../../src/lab/lab.js';

const st: LabStatus = {
  name: 'demo',
  state: 'broken',
  hypervisor: 'olab-demo-hv',
  bridge: 'br0',
  bridgeIp: '10.77.0.254',
  uplink: { name: 'uplink0', ns: 'olab-demo-up', ip: '10.77.0.1' },
  ports: [
    {
      name: 'vif1.0',
      kind: 'veth',
      scheme: 'xen',
      vnetHdr: false,
      guestNs: 'olab-demo-g1',
      ip: '10.77.1.1',
      vm: { id: '1', name: 'demo-guest1', mac: '52:54:00:00:00:01' },
    },
    {
      name: 'vnet0',
      kind: 'tap',
      scheme: 'libvirt',
      vnetHdr: true,
      guestNs: null,
      ip: null,
      vm: { id: 'demo-vm0', name: 'demo-vm0', mac: '52:54:00:00:00:02' },
    },
    {
      name: 'vif2.0',
      kind: 'veth',
      scheme: 'xen',
      vnetHdr: false,
      guestNs: 'olab-demo-g2',
      ip: '10.77.1.2',
      vm: { id: '2', name: 'demo-guest2', mac: '52:54:00:00:00:03' },
    },
  ],
  guests: [
    { ns: 'olab-demo-g1', port: 'vif1.0', ip: '10.77.1.1' },
    { ns: 'olab-demo-g2', port: 'vif2.0', ip: '10.77.1.2' },
  ],
  namespaces: ['olab-demo-hv', 'olab-demo-up', 'olab-demo-g1', 'olab-demo-g2'],
  missing: ['olab-demo-g2'],
  libvirtDir: '/run/offloadctl/lab/demo/libvirt',
  proxmoxDir: '/run/offloadctl/lab/demo/qemu-server',
  stateFile: '/run/offloadctl/lab/demo.json',
  createdAt: '2026-01-01T00:00:00Z',
};

test('labStatusText: state, ports table, hints with the real names', () => {
  const t = labStatusText(st);
  assert.match(t, /^lab demo: broken \(missing: olab-demo-g2\)\n/);
  assert.match(t, /^ {2}vnet0 +tap +yes +libvirt +demo-vm0 +- +-$/m);
  assert.match(t, /^ {2}vif1\.0 +veth +- +xen +demo-guest1 +olab-demo-g1 +10\.77\.1\.1$/m);
  assert.match(t, /offloadctl --netns olab-demo-hv status --libvirt-dir \/run\/offloadctl\/lab\/demo\/libvirt/);
  assert.match(t, /ip netns exec olab-demo-g1 ping -c1 10\.77\.1\.2/);
  assert.match(t, /offloadctl lab down --name demo\n$/);
});
