import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  guestIp,
  hypervisorBatch,
  isLabNamespace,
  labMac,
  libvirtStatusXml,
  planLab,
  proxmoxConf,
  validateLabName,
} from '../../../src/lab/lab-plan.js';
import { parseLibvirtDomainXml, parseProxmoxConfName, vmHintFromName } from '../../../src/host/vm.js';
import { OffloadError } from '../../../src/model/errors.js';

test('planLab: namespaces, alternating veth/tap ports with platform-style names', () => {
  const p = planLab('demo', 5);
  assert.equal(p.hypervisor, 'olab-demo-hv');
  assert.equal(p.upstream, 'olab-demo-up');
  assert.deepEqual(
    p.ports.map((x) => [x.name, x.kind, x.scheme, x.guestNs, x.ip]),
    [
      ['vif1.0', 'veth', 'xen', 'olab-demo-g1', '10.77.1.1'],
      ['vnet0', 'tap', 'libvirt', null, null],
      ['vif2.0', 'veth', 'xen', 'olab-demo-g2', '10.77.1.2'],
      ['tap100i0', 'tap', 'proxmox', null, null],
      ['vif3.0', 'veth', 'xen', 'olab-demo-g3', '10.77.1.3'],
    ],
  );
  assert.deepEqual(p.namespaces, ['olab-demo-hv', 'olab-demo-up', 'olab-demo-g1', 'olab-demo-g2', 'olab-demo-g3']);
  for (const port of p.ports) {
    assert.ok(port.name.length <= 15);
    assert.equal(vmHintFromName(port.name)?.vm.platform, port.scheme); // status will recognise them
    assert.match(port.mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
  }
});

test('planLab: 1000 ports stay within IFNAMSIZ and the /16', () => {
  const p = planLab('x', 1000);
  assert.equal(p.ports.length, 1000);
  assert.ok(p.ports.every((x) => x.name.length <= 15));
  assert.equal(new Set(p.ports.map((x) => x.name)).size, 1000);
  assert.equal(p.ports.at(-2)!.ip, '10.77.2.244'); // guest 500
});

test('validation: names and port counts', () => {
  for (const bad of ['', '-x', 'a b', 'a/b', 'x'.repeat(25), 'é']) {
    assert.throws(
      () => validateLabName(bad),
      (e: unknown) => e instanceof OffloadError && e.exitCode === 2,
      bad,
    );
  }
  validateLabName('t-1_A');
  for (const bad of [0, -1, 1.5, 1001, NaN]) {
    assert.throws(
      () => planLab('ok', bad),
      (e: unknown) => e instanceof OffloadError && e.exitCode === 2,
      String(bad),
    );
  }
});

test('isLabNamespace: exact naming, no prefix confusion between labs a and a-b', () => {
  assert.ok(isLabNamespace('a', 'olab-a-hv'));
  assert.ok(isLabNamespace('a', 'olab-a-g12'));
  assert.ok(!isLabNamespace('a', 'olab-a-b-hv'));
  assert.ok(!isLabNamespace('a', 'olab-ab-hv'));
  assert.ok(!isLabNamespace('a', 'olab-a-gx'));
});

test('hypervisorBatch: bridge, uplink, taps with vnet_hdr, veths whose peers go to guest namespaces', () => {
  const lines = hypervisorBatch(planLab('demo', 2));
  assert.deepEqual(lines, [
    'link add br0 type bridge',
    'addr add 10.77.0.254/16 dev br0',
    'link set br0 up',
    'link add uplink0 type veth peer name eth0 netns olab-demo-up',
    'link set uplink0 master br0',
    'link set uplink0 up',
    'link add vif1.0 type veth peer name eth0 netns olab-demo-g1',
    'link set vif1.0 master br0',
    'link set vif1.0 up',
    'tuntap add dev vnet0 mode tap vnet_hdr',
    'link set vnet0 master br0',
    'link set vnet0 up',
  ]);
});

test('the simulated platform records parse back with offloadctl’s own readers', () => {
  const p = planLab('demo', 4);
  const vnet = p.ports[1]!;
  const d = parseLibvirtDomainXml(libvirtStatusXml(p, vnet, 3));
  assert.equal(d?.name, 'demo-vm0');
  assert.equal(d?.domid, '3');
  assert.equal(d?.state, 'running');
  assert.deepEqual(d?.interfaces, [{ target: 'vnet0', mac: vnet.mac, alias: 'net0', type: 'bridge' }]);
  assert.equal(parseProxmoxConfName(proxmoxConf(p, p.ports[3]!)), 'demo-pve100');
});

test('helpers', () => {
  assert.equal(guestIp(1), '10.77.1.1');
  assert.equal(guestIp(255), '10.77.1.255');
  assert.equal(guestIp(256), '10.77.2.0');
  assert.equal(labMac('a', 'b'), labMac('a', 'b'));
  assert.notEqual(labMac('a', 'b'), labMac('a', 'c'));
});
