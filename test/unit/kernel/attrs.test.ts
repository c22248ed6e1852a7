import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  attr,
  attrMap,
  flagAttr,
  nest,
  NLA_F_NESTED,
  parseAttrs,
  readStr,
  readU16,
  readU32,
  readU8,
  strAttr,
  u16Attr,
  u32Attr,
  u8Attr,
} from '../../../src/kernel/netlink/attrs.js';

test('scalar attributes are padded to 4 bytes and round-trip', () => {
  const buf = Buffer.concat([u8Attr(1, 7), u16Attr(2, 0xbeef), u32Attr(3, 0xdeadbeef), strAttr(4, 'vif3.0-emu')]);
  assert.equal(buf.length % 4, 0);
  assert.equal(u8Attr(1, 7).length, 8); // 4 header + 1 + 3 padding
  assert.equal(u8Attr(1, 7).readUInt16LE(0), 5); // nla_len excludes padding
  const m = attrMap(buf);
  assert.equal(readU8(m.get(1)), 7);
  assert.equal(readU16(m.get(2)), 0xbeef);
  assert.equal(readU32(m.get(3)), 0xdeadbeef);
  assert.equal(readStr(m.get(4)), 'vif3.0-emu');
});

test('nests carry NLA_F_NESTED (the netlink package drops it; ethtool rejects nests without it)', () => {
  const n = nest(1, [u32Attr(3, 1), strAttr(2, 'eth0')]);
  const type = n.readUInt16LE(2);
  assert.equal(type & NLA_F_NESTED, NLA_F_NESTED);
  const [a] = parseAttrs(n);
  assert.ok(a);
  assert.equal(a.type, 1);
  assert.equal(a.nested, true);
  assert.deepEqual([...attrMap(a.data).keys()], [3, 2]);
});

test('flag attributes have an empty payload', () => {
  const f = flagAttr(9);
  assert.equal(f.length, 4);
  assert.equal(parseAttrs(f)[0]!.data.length, 0);
});

test('a repeated attribute type is kept in parseAttrs order; attrMap keeps the last', () => {
  const buf = Buffer.concat([u32Attr(1, 1), u32Attr(1, 2)]);
  assert.deepEqual(
    parseAttrs(buf).map((a) => readU32(a.data)),
    [1, 2],
  );
  assert.equal(readU32(attrMap(buf).get(1)), 2);
});

test('malformed lengths throw instead of reading past the buffer', () => {
  const bad = Buffer.from(attr(1, Buffer.alloc(8)));
  bad.writeUInt16LE(200, 0);
  assert.throws(() => parseAttrs(bad), RangeError);
  const tooShort = Buffer.from([2, 0, 1, 0]);
  assert.throws(() => parseAttrs(tooShort), RangeError);
});

test('readers tolerate missing or short payloads', () => {
  assert.equal(readU32(undefined), null);
  assert.equal(readU32(Buffer.alloc(2)), null);
  assert.equal(readStr(Buffer.from('abc')), 'abc'); // not NUL-terminated
});
