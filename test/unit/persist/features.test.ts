import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ethtoolArgs, mapKeys, NETPLAN_KEYS, NM_KEYS, SYSTEMD_LINK_KEYS } from '../../../src/persist/features.js';
import { KNOWN, tsoGsoOff } from './fixtures.js';

test('ethtool args: whole groups become short names (tso covers tx-tcp-accecn-segmentation)', () => {
  assert.deepEqual(ethtoolArgs(tsoGsoOff(), KNOWN), [
    ['tso', 'off'],
    ['gso', 'off'],
  ]);
});

test('ethtool args: a partial group stays kernel names', () => {
  assert.deepEqual(ethtoolArgs({ 'tx-tcp-segmentation': false, 'rx-gro': true }, KNOWN), [
    ['gro', 'on'],
    ['tx-tcp-segmentation', 'off'],
  ]);
});

test('ethtool args: groups are judged against the interface its own (non-fixed) features', () => {
  const known = KNOWN.filter((k) => k !== 'tx-tcp6-segmentation');
  const d = tsoGsoOff(known);
  assert.deepEqual(ethtoolArgs(d, known), [
    ['tso', 'off'],
    ['gso', 'off'],
  ]);
});

test('systemd .link keys: TSO/TSO6/GSO set; ecn, mangleid and accecn TSO need the companion rule', () => {
  const m = mapKeys(tsoGsoOff(), KNOWN, SYSTEMD_LINK_KEYS);
  assert.deepEqual(m.entries, [
    ['TCPSegmentationOffload', false],
    ['TCP6SegmentationOffload', false],
    ['GenericSegmentationOffload', false],
  ]);
  assert.deepEqual(m.uncovered, [
    'tx-tcp-accecn-segmentation',
    'tx-tcp-ecn-segmentation',
    'tx-tcp-mangleid-segmentation',
  ]);
});

test('a group key is not emitted when the policy wants its members differently', () => {
  const d = {
    'tx-checksum-ipv4': false,
    'tx-checksum-ipv6': true,
    'tx-checksum-ip-generic': false,
    'tx-checksum-sctp': false,
    'tx-checksum-fcoe-crc': false,
  };
  const m = mapKeys(d, KNOWN, SYSTEMD_LINK_KEYS);
  assert.deepEqual(m.entries, []);
  assert.equal(m.uncovered.length, 5);
});

test('netplan and NetworkManager keys', () => {
  assert.deepEqual(
    mapKeys(tsoGsoOff(), KNOWN, NETPLAN_KEYS).entries.map(([k]) => k),
    ['tcp-segmentation-offload', 'tcp6-segmentation-offload', 'generic-segmentation-offload'],
  );
  const nm = mapKeys(tsoGsoOff(), KNOWN, NM_KEYS);
  assert.deepEqual(nm.entries, [
    ['feature-tso', false],
    ['feature-gso', false],
  ]);
  assert.deepEqual(nm.uncovered, ['tx-tcp-accecn-segmentation']);
});
