/**
 * `ip -json -d link show` → LinkInfo. iproute2 prints names where the kernel sent ifindexes
 * (master, link): they are mapped back through the same dump.
 */
import { readFileSync } from 'node:fs';
import type { LinkInfo, TunInfo } from '../../model/types.js';

/** IFF_* by the names iproute2 prints (ip/ipaddress.c print_link_flags). */
export const IFF: Readonly<Record<string, number>> = {
  UP: 0x1,
  BROADCAST: 0x2,
  DEBUG: 0x4,
  LOOPBACK: 0x8,
  POINTOPOINT: 0x10,
  NOTRAILERS: 0x20,
  RUNNING: 0x40,
  NOARP: 0x80,
  PROMISC: 0x100,
  ALLMULTI: 0x200,
  MASTER: 0x400,
  SLAVE: 0x800,
  MULTICAST: 0x1000,
  PORTSEL: 0x2000,
  AUTOMEDIA: 0x4000,
  DYNAMIC: 0x8000,
  LOWER_UP: 0x10000,
  DORMANT: 0x20000,
  ECHO: 0x40000,
};
/**
 * iproute2 never prints IFF_RUNNING (it masks it off), and adds pseudo flags NO-CARRIER and M-DOWN:
 * flags from this backend therefore lack IFF_RUNNING.
 */
export const IFF_NOT_SHOWN_BY_IP = IFF.RUNNING!;

interface IpLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu?: number;
  operstate?: string;
  address?: string;
  master?: string;
  link?: string | null;
  link_index?: number;
  link_netnsid?: number;
  parentbus?: string;
  parentdev?: string;
  link_type?: string;
  linkinfo?: {
    info_kind?: string;
    info_slave_kind?: string;
    info_data?: Record<string, unknown>;
  };
}

/** name → id from an /etc/passwd- or /etc/group-style file (read only, and only when a name shows up). */
function idFromFile(file: string, name: string): number | null {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f[2] && /^\d+$/.test(f[2])) return Number(f[2]);
    }
  } catch {
    /* unreadable: unknown */
  }
  return null;
}

function tunInfo(d: Record<string, unknown> | undefined): TunInfo | null {
  if (!d) return null;
  // iproute2 prints the owner's user/group *name* when getpwuid/getgrgid resolve it, else the number
  // (ip/iptuntap.c print_owner): map names back through the local passwd/group files.
  const id = (v: unknown, file: string): number | null =>
    typeof v === 'number' ? v : typeof v === 'string' ? (/^\d+$/.test(v) ? Number(v) : idFromFile(file, v)) : null;
  return {
    type: d.type === 'tun' ? 'tun' : 'tap',
    vnetHdr: d.vnet_hdr === true,
    multiQueue: d.multi_queue === true,
    persist: d.persist === true,
    owner: id(d.user, '/etc/passwd'),
    group: id(d.group, '/etc/group'),
  };
}

export function parseIpLinks(json: string): LinkInfo[] {
  const data = JSON.parse(json) as IpLink[];
  if (!Array.isArray(data)) throw new SyntaxError('ip -json link: expected an array');
  const byName = new Map(data.map((l) => [l.ifname, l.ifindex]));
  return data.map((l) => {
    const kind = l.linkinfo?.info_kind ?? null;
    let flags = 0;
    for (const f of l.flags ?? []) flags |= IFF[f] ?? 0;
    let parentIndex: number | null = null;
    if (l.link_netnsid === undefined) {
      if (typeof l.link === 'string') parentIndex = byName.get(l.link) ?? null;
      else if (typeof l.link_index === 'number') parentIndex = l.link_index;
    }
    if (parentIndex === l.ifindex) parentIndex = null;
    const vid = kind === 'vlan' ? l.linkinfo?.info_data?.id : undefined;
    return {
      ifindex: l.ifindex,
      name: l.ifname,
      kind,
      slaveKind: l.linkinfo?.info_slave_kind ?? null,
      masterIndex: l.master ? (byName.get(l.master) ?? null) : null,
      parentIndex,
      mtu: l.mtu ?? 0,
      operstate: l.operstate ?? 'UNKNOWN',
      mac: l.address ?? null,
      flags,
      tun: kind === 'tun' ? tunInfo(l.linkinfo?.info_data) : null,
      vlanId: typeof vid === 'number' ? vid : null,
      physical: l.parentdev !== undefined,
    };
  });
}
