import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareNatural } from '../../../src/model/natural-order.js';

test('compareNatural: digit runs by value, the rest by code unit', () => {
  const names = [
    'veth10',
    'vif10.0',
    'b2',
    'veth2',
    'vif1.1',
    'vif1.0',
    'b10',
    'br0',
    'b1',
    'tap100i0',
    'tap99i1',
    'eth0',
    'vif1.0-emu',
  ];
  assert.deepEqual([...names].sort(compareNatural), [
    'b1',
    'b2',
    'b10',
    'br0',
    'eth0',
    'tap99i1',
    'tap100i0',
    'veth2',
    'veth10',
    'vif1.0',
    'vif1.0-emu',
    'vif1.1',
    'vif10.0',
  ]);
});

test('compareNatural: a prefix sorts first; equal strings compare 0; leading zeros tie-break deterministically', () => {
  assert.equal(compareNatural('eth', 'eth0'), -1);
  assert.equal(compareNatural('eth0', 'eth'), 1);
  assert.equal(compareNatural('br0', 'br0'), 0);
  assert.equal(Math.sign(compareNatural('v01', 'v1')), -Math.sign(compareNatural('v1', 'v01')));
  assert.notEqual(compareNatural('v01', 'v1'), 0);
  assert.equal(compareNatural('v2', 'v010'), -1);
});

test('compareNatural agrees with Intl.Collator numeric on typical interface names', () => {
  const coll = new Intl.Collator('en', { numeric: true });
  const names: string[] = [];
  for (let i = 0; i < 30; i++)
    names.push(`veth${i}`, `b${i}`, `c${i}`, `vif${i}.${i % 3}`, `tap${i * 7}i${i % 2}`, `vnet${i}`, `br${i % 4}`);
  assert.deepEqual(
    [...names].sort(compareNatural),
    [...names].sort((a, b) => coll.compare(a, b)),
  );
});
