/**
 * ethtool netlink bitsets (Documentation/networking/ethtool-netlink.rst "Bit sets",
 * net/ethtool/bitset.c). Compact form: SIZE + VALUE (+ MASK) as u32 words, host byte order,
 * LSB first. Verbose form: SIZE + BITS{BIT{INDEX, NAME, VALUE flag}}. With NOMASK the bitset is a
 * plain list/value; without it, MASK says which bits the VALUE speaks about.
 */
import { attrMap, flagAttr, nest, parseAttrs, readStr, readU32, strAttr, u32Attr, attr } from './attrs.js';

export const ETHTOOL_A_BITSET_NOMASK = 1;
export const ETHTOOL_A_BITSET_SIZE = 2;
export const ETHTOOL_A_BITSET_BITS = 3;
export const ETHTOOL_A_BITSET_VALUE = 4;
export const ETHTOOL_A_BITSET_MASK = 5;
export const ETHTOOL_A_BITSET_BITS_BIT = 1;
export const ETHTOOL_A_BITSET_BIT_INDEX = 1;
export const ETHTOOL_A_BITSET_BIT_NAME = 2;
export const ETHTOOL_A_BITSET_BIT_VALUE = 3;

export interface Bitset {
  size: number;
  nomask: boolean;
  /** Set bits of VALUE (by index). */
  value: Set<number>;
  /** Bits of MASK; null when NOMASK. */
  mask: Set<number> | null;
  /** Names the kernel sent along (verbose form only): index → name. */
  names: Map<number, string>;
}

/** Decode a bitset nest payload, compact or verbose. */
export function decodeBitset(payload: Buffer): Bitset {
  const m = attrMap(payload);
  const size = readU32(m.get(ETHTOOL_A_BITSET_SIZE)) ?? 0;
  const nomask = m.has(ETHTOOL_A_BITSET_NOMASK);
  const names = new Map<number, string>();
  const bits = m.get(ETHTOOL_A_BITSET_BITS);
  if (bits) {
    // Verbose: without NOMASK the listed bits are the mask and VALUE flags the set ones;
    // with NOMASK only set bits are listed (ethnl_put_bitset32).
    const value = new Set<number>();
    const mask = nomask ? null : new Set<number>();
    for (const b of parseAttrs(bits)) {
      if (b.type !== ETHTOOL_A_BITSET_BITS_BIT) continue;
      const bm = attrMap(b.data);
      const idx = readU32(bm.get(ETHTOOL_A_BITSET_BIT_INDEX));
      if (idx === null) continue;
      const name = readStr(bm.get(ETHTOOL_A_BITSET_BIT_NAME));
      if (name !== null) names.set(idx, name);
      if (mask) mask.add(idx);
      if (nomask || bm.has(ETHTOOL_A_BITSET_BIT_VALUE)) value.add(idx);
    }
    return { size, nomask, value, mask, names };
  }
  const value = wordsToSet(m.get(ETHTOOL_A_BITSET_VALUE), size);
  const maskBuf = m.get(ETHTOOL_A_BITSET_MASK);
  const mask = nomask ? null : wordsToSet(maskBuf, size);
  return { size, nomask, value, mask, names };
}

function wordsToSet(buf: Buffer | undefined, size: number): Set<number> {
  const out = new Set<number>();
  if (!buf) return out;
  const words = Math.floor(buf.length / 4);
  for (let w = 0; w < words; w++) {
    let v = buf.readUInt32LE(w * 4);
    while (v !== 0) {
      // lowest set bit
      const low = v & -v;
      const bit = 31 - Math.clz32(low);
      const idx = w * 32 + bit;
      if (idx < size) out.add(idx);
      v = (v ^ low) >>> 0;
    }
  }
  return out;
}

/** u32 words (host order = little endian on the machines we run on) holding the given bits. */
export function setToWords(bits: Iterable<number>, size: number): Buffer {
  const buf = Buffer.alloc(Math.ceil(size / 32) * 4);
  for (const i of bits) {
    if (i < 0 || i >= size) throw new RangeError(`bit ${i} outside bitset of size ${size}`);
    const off = (i >> 5) * 4;
    buf.writeUInt32LE((buf.readUInt32LE(off) | (1 << (i & 31))) >>> 0, off);
  }
  return buf;
}

/**
 * Compact bitset attributes (to put inside a nest). `mask` null → NOMASK, which makes the
 * VALUE replace the whole set: never use that for FEATURES_SET's WANTED.
 */
export function encodeCompactBitset(size: number, value: Iterable<number>, mask: Iterable<number> | null): Buffer[] {
  const parts = [u32Attr(ETHTOOL_A_BITSET_SIZE, size), attr(ETHTOOL_A_BITSET_VALUE, setToWords(value, size))];
  if (mask === null) parts.unshift(flagAttr(ETHTOOL_A_BITSET_NOMASK));
  else parts.push(attr(ETHTOOL_A_BITSET_MASK, setToWords(mask, size)));
  return parts;
}

/** Verbose bitset attributes by name (the kernel resolves names; unknown → EOPNOTSUPP). */
export function encodeVerboseBitset(changes: Record<string, boolean>): Buffer[] {
  const bits = Object.entries(changes).map(([name, on]) =>
    nest(
      ETHTOOL_A_BITSET_BITS_BIT,
      on
        ? [strAttr(ETHTOOL_A_BITSET_BIT_NAME, name), flagAttr(ETHTOOL_A_BITSET_BIT_VALUE)]
        : [strAttr(ETHTOOL_A_BITSET_BIT_NAME, name)],
    ),
  );
  return [nest(ETHTOOL_A_BITSET_BITS, bits)];
}
