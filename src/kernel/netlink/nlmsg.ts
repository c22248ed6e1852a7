/**
 * Netlink message framing (include/uapi/linux/netlink.h): 16-byte nlmsghdr, 4-byte alignment,
 * NLMSG_ERROR with extended-ACK TLVs, NLMSG_DONE with its errno. Pure functions over Buffers.
 */
import { parseAttrs } from './attrs.js';

export const NLMSG_HDRLEN = 16;
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_ECHO = 0x8;
/** Set on dump messages when the dumped set changed during the dump (e.g. a device was added). */
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
/** Flags of an NLMSG_ERROR message: the original request was cut to its header / TLVs follow. */
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

/** enum nlmsgerr_attrs */
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;

export const NETLINK_ROUTE = 0;
export const NETLINK_GENERIC = 16;

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** Payload after the 16-byte header (a view into the received buffer). */
  payload: Buffer;
}

export const align4 = (n: number): number => (n + 3) & ~3;

/** Encode one netlink message; payload parts are concatenated (each must already be 4-aligned except the last). */
export function encodeMessage(
  type: number,
  flags: number,
  seq: number,
  pid: number,
  payload: Buffer | readonly Buffer[],
): Buffer {
  const parts = Buffer.isBuffer(payload) ? [payload] : payload;
  let len = NLMSG_HDRLEN;
  for (const p of parts) len += p.length;
  const buf = Buffer.allocUnsafe(align4(len)); // pooled; the padding is zeroed below
  if (len < buf.length) buf.fill(0, len);
  buf.writeUInt32LE(len, 0);
  buf.writeUInt16LE(type, 4);
  buf.writeUInt16LE(flags, 6);
  buf.writeUInt32LE(seq >>> 0, 8);
  buf.writeUInt32LE(pid >>> 0, 12);
  let off = NLMSG_HDRLEN;
  for (const p of parts) {
    p.copy(buf, off);
    off += p.length;
  }
  return buf;
}

/** Split one received datagram into messages. Throws on a malformed length. */
export function parseMessages(buf: Buffer): NlMessage[] {
  const out: NlMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) {
      throw new RangeError(`malformed netlink message: length ${len} at offset ${off} of ${buf.length}`);
    }
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

export interface NlError {
  /** Positive errno; 0 for an ACK. */
  errno: number;
  /** NLMSGERR_ATTR_MSG, when the kernel sent one (needs NETLINK_EXT_ACK on the socket). */
  extack: string | null;
  /** The sequence number of the request this error answers. */
  requestSeq: number;
}

/** Decode an NLMSG_ERROR payload: int error; struct nlmsghdr msg; [payload]; [TLVs]. */
export function parseError(msg: NlMessage): NlError {
  const p = msg.payload;
  const errno = p.length >= 4 ? Math.abs(p.readInt32LE(0)) : 0;
  const requestSeq = p.length >= 20 ? p.readUInt32LE(4 + 8) : 0;
  let extack: string | null = null;
  if (msg.flags & NLM_F_ACK_TLVS && p.length >= 20) {
    // Without NLM_F_CAPPED the whole request is echoed back before the TLVs.
    const echoedLen = msg.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : p.readUInt32LE(4);
    const tlvs = p.subarray(4 + align4(echoedLen));
    extack = extackMessage(tlvs);
  }
  return { errno, extack, requestSeq };
}

/** Decode an NLMSG_DONE payload: int error; [TLVs] (a dump that failed midway reports it here). */
export function parseDone(msg: NlMessage): { errno: number; extack: string | null } {
  const p = msg.payload;
  const errno = p.length >= 4 ? Math.abs(p.readInt32LE(0)) : 0;
  const extack = msg.flags & NLM_F_ACK_TLVS && p.length > 4 ? extackMessage(p.subarray(4)) : null;
  return { errno, extack };
}

function extackMessage(tlvs: Buffer): string | null {
  try {
    for (const a of parseAttrs(tlvs)) {
      if (a.type === NLMSGERR_ATTR_MSG) return a.data.toString('utf8').replace(/\0+$/, '');
    }
  } catch {
    /* a malformed TLV area is not worth failing the error report for */
  }
  return null;
}
