/**
 * Generic netlink (include/uapi/linux/genetlink.h): 4-byte genlmsghdr after the nlmsghdr, and the
 * controller family used to resolve a family id and its multicast groups by name.
 */
import { attrMap, parseAttrs, readStr, readU16, readU32, strAttr } from './attrs.js';

export const GENL_HDRLEN = 4;
export const GENL_ID_CTRL = 0x10;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;
export const CTRL_ATTR_VERSION = 3;
export const CTRL_ATTR_MCAST_GROUPS = 7;
export const CTRL_ATTR_MCAST_GRP_NAME = 1;
export const CTRL_ATTR_MCAST_GRP_ID = 2;

export function genlHeader(cmd: number, version: number): Buffer {
  return Buffer.from([cmd, version, 0, 0]);
}

export interface GenlPayload {
  cmd: number;
  version: number;
  /** Attributes after the genl header. */
  attrs: Buffer;
}

export function parseGenl(payload: Buffer): GenlPayload {
  if (payload.length < GENL_HDRLEN) throw new RangeError('short generic netlink message');
  return { cmd: payload[0]!, version: payload[1]!, attrs: payload.subarray(GENL_HDRLEN) };
}

/** CTRL_CMD_GETFAMILY request payload (send to GENL_ID_CTRL with NLM_F_REQUEST|NLM_F_ACK). */
export function encodeGetFamily(name: string): Buffer[] {
  return [genlHeader(CTRL_CMD_GETFAMILY, 1), strAttr(CTRL_ATTR_FAMILY_NAME, name)];
}

export interface GenlFamily {
  id: number;
  name: string;
  version: number;
  /** multicast group name → id */
  groups: Map<string, number>;
}

export function decodeFamily(payload: Buffer): GenlFamily {
  const { attrs } = parseGenl(payload);
  const m = attrMap(attrs);
  const groups = new Map<string, number>();
  const g = m.get(CTRL_ATTR_MCAST_GROUPS);
  if (g) {
    for (const grp of parseAttrs(g)) {
      const gm = attrMap(grp.data);
      const name = readStr(gm.get(CTRL_ATTR_MCAST_GRP_NAME));
      const id = readU32(gm.get(CTRL_ATTR_MCAST_GRP_ID));
      if (name !== null && id !== null) groups.set(name, id);
    }
  }
  return {
    id: readU16(m.get(CTRL_ATTR_FAMILY_ID)) ?? 0,
    name: readStr(m.get(CTRL_ATTR_FAMILY_NAME)) ?? '',
    version: readU32(m.get(CTRL_ATTR_VERSION)) ?? 0,
    groups,
  };
}
