import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ethtoolFamily } from '../../../src/kernel/netlink/ethtool-family.js';

test('the resolved ethtool family: id, monitor group, names and name → bit, one layout for all users', () => {
  const names = ['sg', '', 'tx-generic-segmentation', 'rx-gro'];
  const f = ethtoolFamily({ id: 27, name: 'ethtool', version: 1, groups: new Map([['monitor', 5]]) }, names);
  assert.equal(f.id, 27);
  assert.equal(f.monitorGroup, 5);
  assert.deepEqual(
    [...f.bitOf],
    [
      ['sg', 0],
      ['tx-generic-segmentation', 2],
      ['rx-gro', 3],
    ],
  );
  assert.equal(f.layout(), f.layout(), 'the decoding layout is built once');
  assert.ok(Object.isFrozen(f));
  const noMonitor = ethtoolFamily({ id: 27, name: 'ethtool', version: 1, groups: new Map() }, names);
  assert.equal(noMonitor.monitorGroup, null);
});
