/**
 * Netlink attributes (struct nlattr): 4-byte header (len u16, type u16), payload padded to 4.
 * Unlike the `netlink` package's writer, nested attributes carry NLA_F_NESTED: ethtool's strict
 * policy validation (nla_parse_nested with NL_VALIDATE_STRICT) rejects nests without it (EINVAL).
 */
export const NLA_HDRLEN = 4;
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = 0x3fff;

export interface Attr {
  /** Attribute type without the NESTED / NET_BYTEORDER flag bits. */
  type: number;
  nested: boolean;
  /** Payload (a view, without padding). */
  data: Buffer;
}

const pad = (n: number): number => (n + 3) & ~3;

/**
 * A buffer of n bytes whose bytes from `from` on are zero (the padding). Small buffers come from
 * Node's shared pool (allocUnsafe): one FEATURES_SET is ~10 attributes and apply sends thousands,
 * and a zero-filled Buffer.alloc per attribute (a fresh ArrayBuffer each) cost more than the kernel call.
 */
function buffer(n: number, from: number): Buffer {
  const buf = Buffer.allocUnsafe(n);
  if (from < n) buf.fill(0, from);
  return buf;
}

function header(buf: Buffer, len: number, type: number): void {
  buf.writeUInt16LE(len, 0);
  buf.writeUInt16LE(type, 2);
}

/** One attribute with a raw payload. */
export function attr(type: number, data: Buffer, flags = 0): Buffer {
  const len = NLA_HDRLEN + data.length;
  const buf = buffer(pad(len), len);
  header(buf, len, (type & NLA_TYPE_MASK) | flags);
  data.copy(buf, NLA_HDRLEN);
  return buf;
}

/** A nest: children concatenated, NLA_F_NESTED set. */
export function nest(type: number, children: readonly Buffer[]): Buffer {
  let len = NLA_HDRLEN;
  for (const c of children) len += c.length;
  const buf = buffer(pad(len), len);
  header(buf, len, (type & NLA_TYPE_MASK) | NLA_F_NESTED);
  let off = NLA_HDRLEN;
  for (const c of children) off += c.copy(buf, off);
  return buf;
}

export function u8Attr(type: number, v: number): Buffer {
  const buf = buffer(8, 5);
  header(buf, 5, type & NLA_TYPE_MASK);
  buf[4] = v & 0xff;
  return buf;
}
export function u16Attr(type: number, v: number): Buffer {
  const buf = buffer(8, 6);
  header(buf, 6, type & NLA_TYPE_MASK);
  buf.writeUInt16LE(v & 0xffff, 4);
  return buf;
}
export function u32Attr(type: number, v: number): Buffer {
  const buf = buffer(8, 8);
  header(buf, 8, type & NLA_TYPE_MASK);
  buf.writeUInt32LE(v >>> 0, 4);
  return buf;
}
/** NUL-terminated string (NLA_NUL_STRING / NLA_STRING both accept it). */
export function strAttr(type: number, s: string): Buffer {
  const n = Buffer.byteLength(s, 'utf8');
  const len = NLA_HDRLEN + n + 1;
  const buf = buffer(pad(len), NLA_HDRLEN + n); // the NUL and the padding
  header(buf, len, type & NLA_TYPE_MASK);
  buf.write(s, NLA_HDRLEN, 'utf8');
  return buf;
}
/** NLA_FLAG: presence is the value. */
export function flagAttr(type: number): Buffer {
  return attr(type, Buffer.alloc(0));
}

/** Parse a run of attributes. Throws RangeError on a malformed length. */
export function parseAttrs(buf: Buffer): Attr[] {
  const out: Attr[] = [];
  let off = 0;
  while (off + NLA_HDRLEN <= buf.length) {
    const len = buf.readUInt16LE(off);
    const rawType = buf.readUInt16LE(off + 2);
    if (len < NLA_HDRLEN || off + len > buf.length) {
      throw new RangeError(`malformed netlink attribute: length ${len} at offset ${off} of ${buf.length}`);
    }
    out.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      data: buf.subarray(off + NLA_HDRLEN, off + len),
    });
    off += pad(len);
  }
  return out;
}

/** Attributes by type; a repeated type keeps the last one (use parseAttrs for arrays). */
export function attrMap(buf: Buffer): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  for (const a of parseAttrs(buf)) m.set(a.type, a.data);
  return m;
}

export function readU8(b: Buffer | undefined): number | null {
  return b && b.length >= 1 ? b.readUInt8(0) : null;
}
export function readU16(b: Buffer | undefined): number | null {
  return b && b.length >= 2 ? b.readUInt16LE(0) : null;
}
export function readU32(b: Buffer | undefined): number | null {
  return b && b.length >= 4 ? b.readUInt32LE(0) : null;
}
export function readStr(b: Buffer | undefined): string | null {
  if (!b) return null;
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul === -1 ? b.length : nul);
}
