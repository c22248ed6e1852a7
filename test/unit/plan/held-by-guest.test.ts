import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guestHeldFeatures, heldBy } from '../../../src/plan/held-by-guest.js';
import type { FeatureMap, Interface } from '../../../src/model/types.js';

/** A fresh vnet_hdr tap as the kernel shows it (kernel-facts, ethtool -k on 6.18). */
function freshTap(over: Partial<Interface> = {}): Pick<Interface, 'kind' | 'role' | 'features'> {
  const f = (active: boolean, requested: boolean, fixed = false) => ({ active, requested, fixed });
  const features: FeatureMap = {
    'tx-checksum-ip-generic': f(false, true),
    'tx-checksum-ipv4': f(false, false, true),
    'tx-scatter-gather': f(true, true),
    'tx-tcp-segmentation': f(false, true),
    'tx-tcp-ecn-segmentation': f(false, true),
    'tx-tcp-mangleid-segmentation': f(false, true),
    'tx-tcp6-segmentation': f(false, true),
    'tx-tcp-accecn-segmentation': f(false, false, true),
    'tx-generic-segmentation': f(true, true),
    'rx-gro': f(true, true),
  };
  return { kind: 'tun', role: 'vm-port', features, ...over };
}
const ON = (names: string[]) => Object.fromEntries(names.map((n) => [n, { value: true }]));

test('a fresh tap: the TUNSETOFFLOAD bits and what needs them are held by the guest; fixed and active ones are not', () => {
  const tap = freshTap();
  assert.deepEqual(guestHeldFeatures(tap, ON(Object.keys(tap.features))), [
    'tx-checksum-ip-generic',
    'tx-tcp-ecn-segmentation',
    'tx-tcp-mangleid-segmentation',
    'tx-tcp-segmentation',
    'tx-tcp6-segmentation',
  ]);
});

test('held by the policy itself (SG off), wanted off, a veth, or an unknown owner: not the guest', () => {
  const tap = freshTap();
  tap.features['tx-scatter-gather'] = { active: false, requested: false, fixed: false };
  assert.equal(heldBy(tap, 'tx-tcp-segmentation', true, false), null, 'TSO needs SG, which the policy turned off');
  assert.equal(heldBy(freshTap(), 'tx-tcp-segmentation', false, false), null, 'wanted off: a plain deviation');
  assert.equal(heldBy(freshTap({ kind: 'veth' }), 'tx-tcp-segmentation', true, false), null);
  assert.equal(heldBy(freshTap({ role: 'other' }), 'tx-tcp-segmentation', true, false), null);
  assert.equal(heldBy(freshTap({ kind: 'macvtap' }), 'tx-tcp-segmentation', true, false), 'guest');
});

test('a bridge with ports: a one-for-all bit requested on, active off, follows its ports', () => {
  const br = {
    kind: 'bridge',
    role: 'bridge' as const,
    features: { 'tx-tcp-accecn-segmentation': { active: false, requested: true, fixed: false } },
  };
  assert.equal(heldBy(br, 'tx-tcp-accecn-segmentation', true, true), 'ports');
  assert.equal(
    heldBy(br, 'tx-tcp-accecn-segmentation', true, false),
    null,
    'no ports: nothing holds it but the device',
  );
});
