import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildObservation } from '../../../src/host/observe.js';
import { topologyChecks } from '../../../src/doctor/topology.js';
import { tunnelOverhead } from '../../../src/doctor/ovs-tunnels.js';
import { feats } from '../host/helpers.js';
import { OPENSTACK_LINKS, fixtureTopology } from '../ovs/fixtures.js';
import type { LinkInfo } from '../../../src/model/types.js';

const CSUM_ON = feats({ 'tx-checksum-ip-generic': 'on', 'tx-generic-segmentation': 'on' });
const CSUM_OFF = feats({ 'tx-checksum-ip-generic': 'off', 'tx-generic-segmentation': 'on' });
const NO_FWD = { forwarding: { ipv4: false, ipv6: false } };

function obs(links: LinkInfo[], csum: (l: LinkInfo) => boolean) {
  return buildObservation({
    links,
    features: new Map(links.map((l) => [l.ifindex, csum(l) ? CSUM_ON : CSUM_OFF])),
    backend: 'fake',
    ovs: fixtureTopology('openstack'),
  });
}

test('encapsulation overheads: vxlan/geneve 50 (IPv6 70), gre 38 (+4 with a key)', () => {
  assert.equal(tunnelOverhead('vxlan', { remote_ip: '192.0.2.1' }), 50);
  assert.equal(tunnelOverhead('vxlan', { remote_ip: '2001:db8::1' }), 70);
  assert.equal(tunnelOverhead('geneve', {}), 50);
  assert.equal(tunnelOverhead('gre', {}), 38);
  assert.equal(tunnelOverhead('gre', { key: '5' }), 42);
});

test('doctor: vxlan_sys_4789 with tx-checksum-ip-generic on is a finding (calico#11435); off is ok', () => {
  const on = topologyChecks(
    obs(OPENSTACK_LINKS, (l) => l.name === 'vxlan_sys_4789'),
    NO_FWD,
  );
  const f = on.findings.filter((x) => x.id === 'tunnel-checksum-offload');
  assert.deepEqual(
    f.map((x) => x.interfaces),
    [['vxlan_sys_4789']],
  );
  assert.ok(f[0]!.references.includes('https://github.com/projectcalico/calico/issues/11435'));
  assert.match(f[0]!.fix.ethtool[0]!, /^ethtool -K vxlan_sys_4789 tx(-checksum-ip-generic)? off$/);
  const off = topologyChecks(
    obs(OPENSTACK_LINKS, () => false),
    NO_FWD,
  );
  assert.equal(off.findings.filter((x) => x.id === 'tunnel-checksum-offload').length, 0);
});

test('doctor: MTU along br-int → (patch) → br-tun vxlan: a 1450 tap fits a 1500 underlay, a 1500 tap does not', () => {
  const fits = topologyChecks(
    obs(OPENSTACK_LINKS, () => false),
    NO_FWD,
  );
  assert.equal(fits.findings.filter((x) => x.id === 'tunnel-path-mtu').length, 0);
  assert.ok(fits.checks.some((c) => c.check === 'tunnel-path-mtu' && c.result === 'ok'));
  // OVS bridges are not judged by the Linux-bridge port MTU rule (br-int 1500 with a 1450 tap is normal).
  assert.equal(fits.findings.filter((x) => x.id === 'bridge-port-mtu').length, 0);

  const big = OPENSTACK_LINKS.map((l) => (l.name === 'tap3f1c2a9b-12' ? { ...l, mtu: 1500 } : l));
  const r = topologyChecks(
    obs(big, () => false),
    NO_FWD,
  );
  const f = r.findings.filter((x) => x.id === 'tunnel-path-mtu');
  assert.equal(f.length, 1);
  assert.equal(f[0]!.interfaces[0], 'tap3f1c2a9b-12');
  assert.match(f[0]!.title, /1500 − 50 = 1450/);
});
