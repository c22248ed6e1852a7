/**
 * The agent's FeatureChannel (src/kernel/netlink/feature-setter.ts) against the kernel: SETs
 * started together share datagrams and go out ackless (only a datagram's last SET asks for an ACK),
 * yet each one still learns its own outcome — the bits that did not take (from its
 * FEATURES_SET_REPLY), a failure in the middle of the datagram (a missing device, a request the
 * kernel refuses), and plain success. Checked against `ethtool --json -k`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../../src/lab/netns.js';
import { probe } from './helpers/probe.js';
import { oracleFeatures } from './helpers/oracle.js';

const skip = process.getuid?.() !== 0 ? 'needs root (network namespaces)' : false;
let ns = '';
const TAPS = [...Array(40).keys()].map((i) => `ch${i}`);

before(async () => {
  if (skip) return;
  ns = await createNetns(`${uniquePrefix('fch')}a`);
  await ipBatch(
    ns,
    TAPS.map((n) => `tuntap add dev ${n} mode tap`),
  );
});
after(async () => {
  if (ns) await deleteNetns(ns);
});

test('ackless SETs: each learns what did not take, failures mid-datagram stay their own', { skip }, async () => {
  const off = { 'tx-generic-segmentation': false, 'rx-gro': false };
  // 40 taps + 2 failures: more than one datagram (at most 32 requests on the wire per socket)
  const items = [
    ...TAPS.slice(0, 10).map((ifname) => ({ ifname, changes: off })),
    // a tap without an owner: TSO can be requested, not turned on (tun's TUNSETOFFLOAD decides)
    { ifname: 'ch10', changes: { 'tx-tcp-segmentation': true } },
    { ifname: 'nosuchdev', changes: off },
    // NETIF_F_NEVER_CHANGE: the kernel refuses the whole request (ethnl_set_features, EINVAL)
    { ifname: 'ch11', changes: { 'tx-generic-segmentation': false, 'vlan-challenged': true } },
    ...TAPS.slice(12).map((ifname) => ({ ifname, changes: off })),
  ];
  const r = await probe<Array<{ notApplied: string[]; changed: string[] } | { code: string }>>(
    ns,
    'netlink',
    'channel-set',
    JSON.stringify(items),
  );
  assert.equal(r.length, items.length);
  for (const [i, it] of items.entries()) {
    const got = r[i]!;
    if (it.ifname === 'nosuchdev') {
      assert.deepEqual(got, { code: 'not-found' }, it.ifname);
      continue;
    }
    const o = await oracleFeatures(ns, it.ifname);
    if (it.ifname === 'ch11') {
      assert.ok('code' in got, `ch11 refused: ${JSON.stringify(got)}`);
      assert.equal(o['tx-generic-segmentation']!.requested, true, 'ch11 unchanged');
      continue;
    }
    assert.ok('notApplied' in got, `${it.ifname}: ${JSON.stringify(got)}`);
    if (it.ifname === 'ch10') {
      assert.deepEqual(got.notApplied, ['tx-tcp-segmentation']);
      assert.deepEqual(o['tx-tcp-segmentation'], { active: false, requested: true, fixed: false });
      continue;
    }
    assert.deepEqual(got.notApplied, [], it.ifname);
    assert.equal(o['tx-generic-segmentation']!.active, false, it.ifname);
    assert.equal(o['rx-gro']!.active, false, it.ifname);
  }
  assert.equal((await oracleFeatures(ns, 'ch11'))['rx-gro']!.active, true, 'ch11: nothing of the refused request');
});
