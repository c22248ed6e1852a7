import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildObservation } from '../../../src/host/observe.js';
import { parsePolicyText, resolvePolicy } from '../../../src/policy/index.js';
import { plan } from '../../../src/plan/plan.js';
import { feats } from '../host/helpers.js';
import { KERNEL_DATAPATH_LINKS, XCPNG_LINKS, fixtureTopology } from './fixtures.js';

const NIC = feats({ 'rx-lro': 'off', 'tx-tcp-segmentation': 'on', 'rx-gro': 'on' });

function obsOf(links: typeof KERNEL_DATAPATH_LINKS, topo: ReturnType<typeof fixtureTopology>) {
  return buildObservation({ links, features: new Map(links.map((l) => [l.ifindex, NIC])), backend: 'fake', ovs: topo });
}

test('policy selectors match OVS bridges and ports: master = OVS bridge, role, VM platform', () => {
  const obs = obsOf(XCPNG_LINKS, fixtureTopology('xcp-ng'));
  const policy = parsePolicyText(
    [
      'name: ovs',
      'rules:',
      '  - name: xapi1-vifs',
      '    select: { master: [xapi1], role: [vm-port], vmPlatform: [xen] }',
      '    features: { tso: off }',
      '  - name: bridges',
      '    select: { role: [bridge], name: [xenbr*] }',
      '    features: { gro: off }',
    ].join('\n'),
    'test.yaml',
  );
  const d = resolvePolicy(policy, obs);
  assert.deepEqual(d.interfaces.map((i) => i.name).sort(), ['vif3.1', 'xenbr0']);
});

test('plan: LRO on for a kernel-datapath OVS port is held (dev_disable_lro, ovs-system above it), never attempted', () => {
  const obs = obsOf(KERNEL_DATAPATH_LINKS, fixtureTopology('kernel-datapath'));
  const policy = parsePolicyText(
    'name: lro\nrules:\n  - select: { name: [eno1] }\n    features: { lro: on }\n',
    't.yaml',
  );
  const p = plan(obs, resolvePolicy(policy, obs));
  assert.deepEqual(p.changes, []);
  assert.equal(p.skipped.length, 1);
  assert.equal(p.skipped[0]!.reason, 'held');
  assert.match(p.skipped[0]!.detail ?? '', /dev_disable_lro/);
  // Without OVSDB the same NIC is a plain NIC: the plan would try.
  const plain = buildObservation({
    links: KERNEL_DATAPATH_LINKS,
    features: new Map(KERNEL_DATAPATH_LINKS.map((l) => [l.ifindex, NIC])),
    backend: 'fake',
  });
  assert.equal(plan(plain, resolvePolicy(policy, plain)).changes.length, 1);
});

test('plan: an OVS bridge (internal port) does not "follow its ports": a held feature is explained otherwise', () => {
  const topo = fixtureTopology('kernel-datapath');
  const held = feats({ 'tx-tcp-segmentation': 'off-req-on' });
  const links = KERNEL_DATAPATH_LINKS;
  const obs = buildObservation({
    links,
    features: new Map(links.map((l) => [l.ifindex, l.name === 'vmbr0' ? held : NIC])),
    backend: 'fake',
    ovs: topo,
  });
  const policy = parsePolicyText(
    'name: t\nrules:\n  - select: { name: [vmbr0] }\n    features: { tx-tcp-segmentation: on }\n',
    't.yaml',
  );
  const p = plan(obs, resolvePolicy(policy, obs));
  const s = p.skipped.find((x) => x.ifname === 'vmbr0')!;
  assert.equal(s.reason, 'held');
  assert.doesNotMatch(s.detail ?? '', /follows its ports/);
});
