import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildObservation, observeHost } from '../../../src/host/observe.js';
import { emptyVmIndex } from '../../../src/host/vm.js';
import { FakeKernel } from '../../../src/kernel/fake.js';
import { KernelError, type KernelBackend } from '../../../src/kernel/types.js';
import type { FeatureMap } from '../../../src/model/types.js';
import { feats, link, TAP } from './helpers.js';

const F = feats({ 'tx-tcp-segmentation': 'on', 'tx-generic-segmentation': 'on' });
const links = [
  link(1, 'lo', { flags: 0x8, mtu: 65536, operstate: 'UNKNOWN' }),
  link(2, 'eth0', { physical: true, masterIndex: 3, slaveKind: 'bridge' }),
  link(3, 'br0', { kind: 'bridge' }),
  link(4, 'vnet0', { kind: 'tun', tun: TAP, masterIndex: 3, slaveKind: 'bridge', operstate: 'UNKNOWN' }),
  link(5, 'vif2.0', { kind: 'veth', masterIndex: 3, slaveKind: 'bridge' }),
];

function fake(): FakeKernel {
  return new FakeKernel({
    links,
    features: Object.fromEntries(links.map((l) => [l.name, F])),
    drivers: { eth0: { driver: 'e1000e', busInfo: '0000:00:19.0' } },
  });
}

test('observeHost: one dump each, roles, masters by name, drivers, VMs', async () => {
  const k = fake();
  const obs = await observeHost(k, { libvirtDir: '/nonexistent', proxmoxDir: '/nonexistent' });
  assert.equal(obs.backend, 'fake');
  assert.deepEqual(
    obs.interfaces.map((i) => [i.name, i.role, i.master, i.driver]),
    [
      ['lo', 'loopback', null, null],
      ['eth0', 'uplink', 'br0', 'e1000e'],
      ['br0', 'bridge', null, 'bridge'],
      ['vnet0', 'vm-port', 'br0', 'tun'],
      ['vif2.0', 'vm-port', 'br0', 'veth'],
    ],
  );
  assert.deepEqual(obs.interfaces[4]!.vm, { platform: 'xen', id: '2', name: null, nic: '0' });
  assert.deepEqual(obs.interfaces[1]!.features, F);
  assert.equal(k.calls.filter((c) => c.method === 'listLinks').length, 1);
  assert.equal(k.calls.filter((c) => c.method === 'dumpFeatures').length, 1);
  assert.equal(
    k.calls.some((c) => c.method === 'getFeatures'),
    false,
  );
});

test('a link gone between the link dump and the features dump is dropped, not an error', () => {
  const features = new Map<number, FeatureMap>(links.filter((l) => l.name !== 'vnet0').map((l) => [l.ifindex, F]));
  features.set(99, F); // appeared after the link dump: ignored
  const obs = buildObservation({ links, features, backend: 'netlink', takenAt: 't' });
  assert.deepEqual(
    obs.interfaces.map((i) => i.name),
    ['lo', 'eth0', 'br0', 'vif2.0'],
  );
  assert.equal(obs.takenAt, 't');
});

test('a master not in the link list (other namespace, gone) leaves master null', () => {
  const obs = buildObservation({
    links: [link(7, 'x', { kind: 'veth', masterIndex: 42, slaveKind: 'bridge' })],
    features: new Map([[7, F]]),
    vmIndex: emptyVmIndex(),
    backend: 'netlink',
  });
  assert.equal(obs.interfaces[0]!.master, null);
});

test('driver lookups: an interface that vanished meanwhile gets driver null; other errors propagate', async () => {
  const k = fake();
  const orig = k.driverInfo.bind(k);
  k.driverInfo = async (n: string) => {
    if (n === 'vnet0') throw new KernelError('not-found', 'gone', { ifname: n });
    return orig(n);
  };
  const obs = await observeHost(k, { libvirtDir: '/nonexistent' });
  assert.equal(obs.interfaces.find((i) => i.name === 'vnet0')!.driver, null);

  const k2 = fake();
  k2.driverInfo = async () => {
    throw new KernelError('permission-denied', 'no');
  };
  await assert.rejects(observeHost(k2), /no/);
});

test('dumpDriverInfo is used when the backend has it (one pass instead of one lookup per link)', async () => {
  const k = fake() as FakeKernel & KernelBackend;
  let asked = 0;
  k.dumpDriverInfo = async (ls) => {
    asked = ls?.length ?? -1;
    return new Map((ls ?? []).map((l) => [l.ifindex, { driver: `d-${l.name}`, busInfo: null }]));
  };
  const obs = await observeHost(k, { libvirtDir: '/nonexistent' });
  assert.equal(asked, 5);
  assert.equal(obs.interfaces[2]!.driver, 'd-br0');
  assert.equal(
    k.calls.some((c) => c.method === 'driverInfo'),
    false,
  );
});
