import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeKernel } from '../../../src/kernel/fake.js';
import { KernelError } from '../../../src/kernel/types.js';
import type { FeatureMap, LinkInfo } from '../../../src/model/types.js';

const link = (ifindex: number, name: string, kind: string | null): LinkInfo => ({
  ifindex,
  name,
  kind,
  slaveKind: null,
  masterIndex: null,
  parentIndex: null,
  mtu: 1500,
  operstate: 'UP',
  mac: null,
  flags: 0,
  tun: null,
  vlanId: null,
  physical: false,
});
const feats = (): FeatureMap => ({
  'tx-tcp-segmentation': { active: true, requested: true, fixed: false },
  'tx-generic-segmentation': { active: true, requested: true, fixed: false },
  'tx-checksum-ipv4': { active: false, requested: false, fixed: true },
  'netns-local': { active: true, requested: true, fixed: true },
});

function make() {
  return new FakeKernel({
    links: [link(1, 'lo', null), link(2, 'br0', 'bridge'), link(3, 'tap100i0', 'tun')],
    features: { lo: feats(), br0: feats(), tap100i0: feats() },
    drivers: { br0: { driver: 'bridge', busInfo: 'N/A' } },
  });
}

test('dumpFeatures keys by ifindex; results are copies', async () => {
  const k = make();
  const d = await k.dumpFeatures();
  assert.deepEqual([...d.keys()], [1, 2, 3]);
  d.get(2)!['tx-tcp-segmentation']!.active = false;
  assert.equal((await k.getFeatures('br0'))['tx-tcp-segmentation']!.active, true);
});

test('setFeatures changes requested+active of changeable bits; fixed bits land in notApplied', async () => {
  const k = make();
  const r = await k.setFeatures('br0', { 'tx-tcp-segmentation': false, 'tx-checksum-ipv4': true, 'netns-local': true });
  assert.deepEqual(r, { ifname: 'br0', notApplied: ['tx-checksum-ipv4'] });
  const f = await k.getFeatures('br0');
  assert.deepEqual(f['tx-tcp-segmentation'], { active: false, requested: false, fixed: false });
  assert.deepEqual(f['tx-checksum-ipv4'], { active: false, requested: false, fixed: true });
  assert.deepEqual(
    k.calls.map((c) => c.method),
    ['setFeatures', 'getFeatures'],
  );
});

test('applyRules models dependencies (e.g. TSO needs GSO here) and shows in notApplied', async () => {
  const k = make();
  k.applyRules = (_if, fm) => {
    for (const st of Object.values(fm)) if (!st.fixed) st.active = st.requested;
    if (!fm['tx-generic-segmentation']!.active) fm['tx-tcp-segmentation']!.active = false;
  };
  const r = await k.setFeatures('tap100i0', { 'tx-generic-segmentation': false, 'tx-tcp-segmentation': true });
  assert.deepEqual(r.notApplied, ['tx-tcp-segmentation']);
  assert.deepEqual((await k.getFeatures('tap100i0'))['tx-tcp-segmentation'], {
    active: false,
    requested: true,
    fixed: false,
  });
});

test('unknown interface → not-found; injected failure → invalid; unknown feature → not-supported', async () => {
  const k = make();
  await assert.rejects(k.getFeatures('nope'), (e: unknown) => e instanceof KernelError && e.code === 'not-found');
  await assert.rejects(k.setFeatures('nope', {}), (e: unknown) => e instanceof KernelError && e.code === 'not-found');
  k.failOn.add('br0');
  await assert.rejects(
    k.setFeatures('br0', { 'tx-tcp-segmentation': false }),
    (e: unknown) => e instanceof KernelError && e.code === 'invalid',
  );
  await assert.rejects(
    k.setFeatures('lo', { bogus: false }),
    (e: unknown) => e instanceof KernelError && e.code === 'not-supported',
  );
});

test('removeLink makes an interface vanish from lists and lookups', async () => {
  const k = make();
  k.removeLink('tap100i0');
  assert.deepEqual(
    (await k.listLinks()).map((l) => l.name),
    ['lo', 'br0'],
  );
  assert.equal((await k.dumpFeatures()).has(3), false);
  await assert.rejects(k.getFeatures('tap100i0'), (e: unknown) => e instanceof KernelError && e.code === 'not-found');
  await assert.rejects(k.driverInfo('tap100i0'), (e: unknown) => e instanceof KernelError && e.code === 'not-found');
});

test('driverInfo and featureNames', async () => {
  const k = make();
  assert.deepEqual(await k.driverInfo('br0'), { driver: 'bridge', busInfo: 'N/A' });
  assert.deepEqual(await k.driverInfo('tap100i0'), { driver: 'tun', busInfo: null });
  assert.deepEqual(await k.featureNames(), Object.keys(feats()));
  k.close();
  assert.equal(k.closed, true);
});
