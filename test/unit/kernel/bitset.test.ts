import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { attrMap, nest, parseAttrs } from '../../../src/kernel/netlink/attrs.js';
import {
  decodeBitset,
  encodeCompactBitset,
  encodeVerboseBitset,
  ETHTOOL_A_BITSET_MASK,
  ETHTOOL_A_BITSET_NOMASK,
  ETHTOOL_A_BITSET_VALUE,
  setToWords,
} from '../../../src/kernel/netlink/bitset.js';

const payload = (parts: Buffer[]) => parseAttrs(nest(1, parts))[0]!.data;

test('compact bitset words: LSB first, bit 32+ in the second word (64-bit netdev_features_t)', () => {
  const w = setToWords([0, 31, 32, 35, 63], 64);
  assert.equal(w.length, 8);
  assert.equal(w.readUInt32LE(0), 0x80000001);
  assert.equal(w.readUInt32LE(4), 0x80000009);
});

test('compact value+mask round-trips, and mask is sent (never NOMASK for a SET)', () => {
  const parts = encodeCompactBitset(64, [11, 33], [11, 14, 33, 35]);
  const m = attrMap(payload(parts));
  assert.ok(!m.has(ETHTOOL_A_BITSET_NOMASK));
  assert.ok(m.has(ETHTOOL_A_BITSET_MASK));
  const b = decodeBitset(payload(parts));
  assert.equal(b.size, 64);
  assert.deepEqual(
    [...b.value].sort((a, c) => a - c),
    [11, 33],
  );
  assert.deepEqual(
    [...b.mask!].sort((a, c) => a - c),
    [11, 14, 33, 35],
  );
});

test('NOMASK compact bitset decodes with mask null', () => {
  const b = decodeBitset(payload(encodeCompactBitset(40, [0, 39], null)));
  assert.equal(b.nomask, true);
  assert.equal(b.mask, null);
  assert.deepEqual(
    [...b.value].sort((a, c) => a - c),
    [0, 39],
  );
});

test('bits beyond SIZE in the last word are ignored', () => {
  const value = Buffer.alloc(4);
  value.writeUInt32LE(0xffffffff, 0);
  const parts = [...encodeCompactBitset(3, [], null)];
  // replace VALUE with an all-ones word
  const raw = Buffer.concat(parts.filter((p) => p.readUInt16LE(2) !== ETHTOOL_A_BITSET_VALUE));
  const withValue = Buffer.concat([raw, Buffer.from([8, 0, ETHTOOL_A_BITSET_VALUE, 0]), value]);
  const b = decodeBitset(withValue);
  assert.deepEqual([...b.value].sort(), [0, 1, 2]);
});

test('encoding a bit outside the size throws', () => {
  assert.throws(() => setToWords([64], 64), RangeError);
});

test('verbose bitset by name: BITS{BIT{NAME, VALUE?}}; decoded as value+mask with names', () => {
  const parts = encodeVerboseBitset({ 'rx-gro': true, 'tx-generic-segmentation': false });
  const b = decodeBitset(payload(parts));
  // no INDEX was sent, so nothing is decodable by index: the kernel resolves names
  assert.equal(b.value.size, 0);
  const bits = parseAttrs(attrMap(payload(parts)).get(3)!);
  assert.equal(bits.length, 2);
  assert.ok(bits.every((x) => x.nested));
});

test('property: compact encode/decode is the identity for any value ⊆ mask ⊆ [0, size)', () => {
  fc.assert(
    fc.property(
      fc
        .integer({ min: 1, max: 128 })
        .chain((size) =>
          fc.tuple(fc.constant(size), fc.uniqueArray(fc.integer({ min: 0, max: size - 1 }), { maxLength: size })),
        ),
      fc.func(fc.boolean()),
      ([size, mask], pick) => {
        const value = mask.filter((i) => pick(i));
        const b = decodeBitset(payload(encodeCompactBitset(size, value, mask)));
        assert.deepEqual(
          [...b.value].sort((x, y) => x - y),
          [...value].sort((x, y) => x - y),
        );
        assert.deepEqual(
          [...b.mask!].sort((x, y) => x - y),
          [...mask].sort((x, y) => x - y),
        );
      },
    ),
  );
});
