import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { driverInfoFor } from '../../../src/kernel/driver-info.js';
import type { LinkInfo } from '../../../src/model/types.js';

const link = (name: string, kind: string | null, tun: LinkInfo['tun'] = null): LinkInfo => ({
  ifindex: 1,
  name,
  kind,
  slaveKind: null,
  masterIndex: null,
  parentIndex: null,
  mtu: 1500,
  operstate: 'UP',
  mac: null,
  flags: 0,
  tun,
  vlanId: null,
  physical: kind === null,
});

const root = mkdtempSync(join(tmpdir(), 'olc-sysfs-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('physical NIC: driver and bus info from the sysfs device links', () => {
  const pci = join(root, 'devices/pci0000:00/0000:00:03.0');
  mkdirSync(pci, { recursive: true });
  mkdirSync(join(root, 'bus/pci/drivers/e1000e'), { recursive: true });
  symlinkSync(join(root, 'bus/pci/drivers/e1000e'), join(pci, 'driver'));
  mkdirSync(join(root, 'class/net/eno1'), { recursive: true });
  symlinkSync(pci, join(root, 'class/net/eno1/device'));
  assert.deepEqual(driverInfoFor(link('eno1', null), join(root, 'class/net')), {
    driver: 'e1000e',
    busInfo: '0000:00:03.0',
  });
});

test('software devices: the name their get_drvinfo reports', () => {
  const sys = join(root, 'class/net');
  assert.deepEqual(driverInfoFor(link('br0', 'bridge'), sys), { driver: 'bridge', busInfo: 'N/A' });
  assert.deepEqual(
    driverInfoFor(
      link('tap0', 'tun', { type: 'tap', vnetHdr: true, multiQueue: false, persist: true, owner: null, group: null }),
      sys,
    ),
    { driver: 'tun', busInfo: 'tap' },
  );
  assert.deepEqual(driverInfoFor(link('macvtap0', 'macvtap'), sys), { driver: 'macvlan', busInfo: null });
  assert.deepEqual(driverInfoFor(link('bond0', 'bond'), sys), { driver: 'bonding', busInfo: null });
  assert.deepEqual(driverInfoFor(link('eno1.100', 'vlan'), sys), { driver: '802.1Q VLAN Support', busInfo: null });
  assert.deepEqual(driverInfoFor(link('lo', null), sys), { driver: null, busInfo: null });
});
