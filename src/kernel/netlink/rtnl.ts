/**
 * rtnetlink links (include/uapi/linux/rtnetlink.h, if_link.h): RTM_GETLINK dump request and
 * RTM_NEWLINK decoding into LinkInfo. Pure; reused by the agent's monitor (RTM_NEWLINK/DELLINK
 * notifications on RTNLGRP_LINK have the same layout).
 */
import type { LinkInfo, TunInfo } from '../../model/types.js';
import { attrMap, readU16, readU32, readU8, strAttr, u32Attr } from './attrs.js';

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTNLGRP_LINK = 1;
export const AF_UNSPEC = 0;
export const IFINFOMSG_LEN = 16;

export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_MASTER = 10;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKINFO = 18;
export const IFLA_EXT_MASK = 29;
export const IFLA_LINK_NETNSID = 37;
export const IFLA_EVENT = 44;
/** enum { IFLA_EVENT_NONE, IFLA_EVENT_REBOOT, IFLA_EVENT_FEATURES, ... } */
export const IFLA_EVENT_FEATURES = 2;
export const IFLA_PARENT_DEV_NAME = 56;
export const IFLA_PARENT_DEV_BUS_NAME = 57;

export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_INFO_SLAVE_KIND = 4;

export const IFLA_TUN_OWNER = 1;
export const IFLA_TUN_GROUP = 2;
export const IFLA_TUN_TYPE = 3;
export const IFLA_TUN_PI = 4;
export const IFLA_TUN_VNET_HDR = 5;
export const IFLA_TUN_PERSIST = 6;
export const IFLA_TUN_MULTI_QUEUE = 7;
export const IFF_TUN = 0x1;
export const IFF_TAP = 0x2;

export const IFLA_VLAN_ID = 1;

/** include/uapi/linux/rtnetlink.h: skip the stats blocks (most of each RTM_NEWLINK's bytes). */
export const RTEXT_FILTER_SKIP_STATS = 1 << 3;

/** IF_OPER_* in the order of the enum, spelled as iproute2 prints them (ip/ipaddress.c oper_states). */
export const OPERSTATES = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'] as const;

/** RTM_GETLINK dump request payload (send with NLM_F_REQUEST|NLM_F_DUMP). */
export function encodeGetLinkDump(extMask = RTEXT_FILTER_SKIP_STATS): Buffer[] {
  const ifi = Buffer.alloc(IFINFOMSG_LEN); // family AF_UNSPEC, all zero
  return [ifi, u32Attr(IFLA_EXT_MASK, extMask)];
}

/** RTM_GETLINK for one link by name (send with NLM_F_REQUEST|NLM_F_ACK); ENODEV when absent. */
export function encodeGetLinkByName(ifname: string, extMask = RTEXT_FILTER_SKIP_STATS): Buffer[] {
  return [Buffer.alloc(IFINFOMSG_LEN), strAttr(IFLA_IFNAME, ifname), u32Attr(IFLA_EXT_MASK, extMask)];
}

export interface IfInfo {
  family: number;
  type: number;
  ifindex: number;
  flags: number;
}

export function decodeIfinfomsg(payload: Buffer): IfInfo {
  if (payload.length < IFINFOMSG_LEN) throw new RangeError('short ifinfomsg');
  return {
    family: payload.readUInt8(0),
    type: payload.readUInt16LE(2),
    ifindex: payload.readInt32LE(4),
    flags: payload.readUInt32LE(8),
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function mac(b: Buffer, start: number, end: number): string | null {
  if (end <= start) return null;
  let s = HEX[b[start]!]!;
  for (let i = start + 1; i < end; i++) s += ':' + HEX[b[i]!]!;
  return s;
}

function cstr(b: Buffer, start: number, end: number): string {
  let e = start;
  let ascii = true;
  while (e < end && b[e] !== 0) {
    if (b[e]! > 0x7f) ascii = false;
    e++;
  }
  // interface names are ASCII in practice; latin1Slice skips toString's argument checks
  return ascii && latin1Slice ? latin1Slice.call(b, start, e) : b.toString('utf8', start, e);
}

type Latin1Slice = (this: Buffer, start: number, end: number) => string;
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: Latin1Slice }).latin1Slice;

/** Little-endian u32 by hand: Buffer#readUInt32LE validates its arguments in JS, costly when cold. */
const u32 = (b: Buffer, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

const USED_IFLA = new Uint8Array(64);
for (const t of [
  IFLA_IFNAME,
  IFLA_MTU,
  IFLA_OPERSTATE,
  IFLA_ADDRESS,
  IFLA_MASTER,
  IFLA_LINK,
  IFLA_LINK_NETNSID,
  IFLA_PARENT_DEV_NAME,
  IFLA_LINKINFO,
])
  USED_IFLA[t] = 1;

/** IFLA_EVENT of an RTM_NEWLINK payload (why the kernel sent it, rtnl_get_event), or null. */
export function linkEvent(p: Buffer): number | null {
  for (let off = IFINFOMSG_LEN; off + 4 <= p.length; ) {
    const len = p[off]! | (p[off + 1]! << 8);
    if (len < 4 || off + len > p.length) return null;
    if (((p[off + 2]! | (p[off + 3]! << 8)) & 0x3fff) === IFLA_EVENT) return len >= 8 ? u32(p, off + 4) : null;
    off += (len + 3) & ~3;
  }
  return null;
}

/** Decode one RTM_NEWLINK payload (ifinfomsg + attributes). */
export function decodeLink(payload: Buffer): LinkInfo {
  const p = payload;
  if (p.length < IFINFOMSG_LEN) throw new RangeError('short ifinfomsg');
  const ifindex = u32(p, 4) | 0;
  const flags = u32(p, 8);
  // One pass over the top-level attributes with plain byte arithmetic, reading only the ones we use
  // (a link message has ~50; this runs 2000 times in a cold process, mostly interpreted).
  let name = '';
  let mtu = 0;
  let op: number | null = null;
  let macStr: string | null = null;
  let master: number | null = null;
  let link: number | null = null;
  let netnsid = false;
  let parentDev = false;
  let liO = -1;
  let liE = -1;
  const end = p.length;
  for (let off = IFINFOMSG_LEN; off + 4 <= end; ) {
    const len = p[off]! | (p[off + 1]! << 8);
    if (len < 4 || off + len > end) throw new RangeError(`malformed netlink attribute: length ${len} at offset ${off}`);
    const type = (p[off + 2]! | (p[off + 3]! << 8)) & 0x3fff;
    // most of the ~50 attributes are not used: one table load skips them (a sparse switch is a
    // chain of compares in V8's interpreter, where this cold loop mostly runs)
    if (type >= 64 || USED_IFLA[type] === 0) {
      off += (len + 3) & ~3;
      continue;
    }
    const d = off + 4;
    switch (type) {
      case IFLA_IFNAME:
        name = cstr(p, d, off + len);
        break;
      case IFLA_MTU:
        if (len >= 8) mtu = u32(p, d);
        break;
      case IFLA_OPERSTATE:
        if (len >= 5) op = p[d]!;
        break;
      case IFLA_ADDRESS:
        macStr = mac(p, d, off + len);
        break;
      case IFLA_MASTER:
        if (len >= 8) master = u32(p, d);
        break;
      case IFLA_LINK:
        if (len >= 8) link = u32(p, d);
        break;
      case IFLA_LINK_NETNSID:
        netnsid = true;
        break;
      case IFLA_PARENT_DEV_NAME:
        parentDev = true;
        break;
      case IFLA_LINKINFO:
        liO = d;
        liE = off + len;
        break;
    }
    off += (len + 3) & ~3;
  }
  let kind: string | null = null;
  let slaveKind: string | null = null;
  let tun: TunInfo | null = null;
  let vlanId: number | null = null;
  let data: Buffer | undefined;
  for (let o = liO; liO >= 0 && o + 4 <= liE; ) {
    const l = p[o]! | (p[o + 1]! << 8);
    if (l < 4 || o + l > liE) break;
    switch ((p[o + 2]! | (p[o + 3]! << 8)) & 0x3fff) {
      case IFLA_INFO_KIND:
        kind = cstr(p, o + 4, o + l);
        break;
      case IFLA_INFO_SLAVE_KIND:
        slaveKind = cstr(p, o + 4, o + l);
        break;
      case IFLA_INFO_DATA:
        data = p.subarray(o + 4, o + l);
        break;
    }
    o += (l + 3) & ~3;
  }
  if (data && kind === 'tun') {
    const dm = attrMap(data);
    const t = readU8(dm.get(IFLA_TUN_TYPE));
    tun = {
      type: t === IFF_TUN ? 'tun' : 'tap',
      vnetHdr: readU8(dm.get(IFLA_TUN_VNET_HDR)) === 1,
      multiQueue: readU8(dm.get(IFLA_TUN_MULTI_QUEUE)) === 1,
      persist: readU8(dm.get(IFLA_TUN_PERSIST)) === 1,
      // tun_fill_info puts OWNER/GROUP only when set (uid_valid/gid_valid).
      owner: readU32(dm.get(IFLA_TUN_OWNER)),
      group: readU32(dm.get(IFLA_TUN_GROUP)),
    };
  } else if (data && kind === 'vlan') {
    vlanId = readU16(attrMap(data).get(IFLA_VLAN_ID));
  }
  // IFLA_LINK names an ifindex of another namespace when IFLA_LINK_NETNSID is present (veth peer
  // moved into a guest namespace): it is not a parent here. A link to itself (ifindex) is no parent.
  const parentIndex = link !== null && link !== 0 && link !== ifindex && !netnsid ? link : null;
  return {
    ifindex,
    name,
    kind,
    slaveKind,
    masterIndex: master !== null && master !== 0 ? master : null,
    parentIndex,
    mtu,
    operstate: op !== null ? (OPERSTATES[op] ?? 'UNKNOWN') : 'UNKNOWN',
    mac: macStr,
    flags,
    tun,
    vlanId,
    // rtnl_fill_link_ifmap/rtnl_fill_ifinfo: IFLA_PARENT_DEV_NAME only for devices with a parent
    // struct device (PCI, USB, platform, virtio ...), i.e. not for software devices.
    physical: parentDev,
  };
}
