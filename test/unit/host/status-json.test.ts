import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { statusJsonChunks, statusJsonText } from '../../../src/host/status-json.js';
import { statusJson } from '../../../src/host/status-view.js';
import type { Interface, Role, VmPlatform } from '../../../src/model/types.js';

const reference = (ifs: Interface[]) => JSON.stringify(statusJson(ifs), null, 2) + '\n';

const featureState = fc.record({ active: fc.boolean(), requested: fc.boolean(), fixed: fc.boolean() });
const iface: fc.Arbitrary<Interface> = fc.record({
  ifindex: fc.nat(),
  name: fc.string({ minLength: 1, maxLength: 15 }),
  kind: fc.option(fc.constantFrom('bridge', 'veth', 'tun', 'vxlan')),
  role: fc.constantFrom<Role>('bridge', 'vm-port', 'uplink', 'loopback', 'other'),
  master: fc.option(fc.string()),
  driver: fc.option(fc.string()),
  mtu: fc.nat(),
  operstate: fc.constantFrom('UP', 'DOWN', 'UNKNOWN'),
  vm: fc.option(
    fc.record({
      platform: fc.constantFrom<VmPlatform>('libvirt', 'proxmox', 'openstack', 'xen'),
      id: fc.option(fc.string()),
      name: fc.option(fc.string()),
      nic: fc.option(fc.string()),
    }),
  ),
  features: fc.dictionary(
    fc.string({ minLength: 1 }).filter((k) => !/^\d+$/.test(k) && k !== '__proto__'),
    featureState,
  ),
});

test('statusJsonText is byte for byte JSON.stringify(statusJson(…), null, 2)', () => {
  fc.assert(
    fc.property(fc.array(iface, { maxLength: 5 }), (ifs) => {
      assert.equal(statusJsonText(ifs), reference(ifs));
    }),
    { numRuns: 300 },
  );
});

test('statusJsonText: empty list and a typical interface', () => {
  assert.equal(statusJsonText([]), reference([]));
  const one: Interface = {
    ifindex: 4,
    name: 'vnet0',
    kind: 'tun',
    role: 'vm-port',
    master: 'br0',
    driver: 'tun',
    mtu: 1500,
    operstate: 'DOWN',
    vm: { platform: 'libvirt', id: 'u-u', name: 'web01', nic: '52:54:00:00:00:01' },
    features: {
      'tx-tcp-segmentation': { active: false, requested: true, fixed: false },
      'rx-lro': { active: false, requested: false, fixed: true },
    },
  };
  assert.equal(statusJsonText([one]), reference([one]));
  assert.deepEqual(JSON.parse(statusJsonText([one])), statusJson([one]));
});

test('statusJsonChunks: frozen maps shared by many interfaces (the netlink dump interns them) and long documents', () => {
  const st = (a: boolean, r: boolean, f: boolean) => Object.freeze({ active: a, requested: r, fixed: f });
  const m1 = Object.freeze({ 'tx-tcp-segmentation': st(true, true, false), 'rx-gro': st(false, true, false) });
  const m2 = Object.freeze({ 'tx-tcp-segmentation': st(false, false, true), 'rx-gro': st(true, true, false) });
  const ifs: Interface[] = [];
  for (let i = 0; i < 3000; i++) {
    ifs.push({
      ifindex: i + 1,
      name: `b${i}`,
      kind: 'veth',
      role: 'other',
      master: i % 3 ? 'br0' : null,
      driver: 'veth',
      mtu: 1500,
      operstate: 'UP',
      vm: null,
      // the same frozen object again and again, a mutable equal copy now and then
      features: i % 7 === 0 ? { ...m2 } : i % 2 ? m1 : m2,
    });
  }
  const chunks = statusJsonChunks(ifs);
  assert.ok(chunks.length > 2 * ifs.length, 'one chunk per header and per features text');
  assert.equal(Buffer.concat(chunks).toString('utf8'), reference(ifs));
});
