/**
 * Driver name and bus info without ETHTOOL_GDRVINFO (ethtool netlink has no DRVINFO message).
 * Physical devices: the sysfs `device/driver` link's basename is the driver, the `device` link's
 * basename the bus address (what ethtool -i prints as bus-info for PCI). Software devices: the name
 * their get_drvinfo reports, checked with `ethtool -i` on kernel 6.18 where the device could be
 * built (bridge, veth, tun, macvlan/macvtap, vxlan, ifb); the rest from the kernel sources.
 */
import { readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import type { DriverInfo, LinkInfo } from '../model/types.js';

/** IFLA_INFO_KIND → driver name from that kind's ethtool_ops.get_drvinfo (null: it has none). */
export const SOFTWARE_DRIVERS: Readonly<Record<string, string | null>> = {
  bridge: 'bridge', // br_getinfo (bus-info "N/A")
  veth: 'veth', // veth_get_drvinfo
  tun: 'tun', // tun_get_drvinfo (bus-info "tun" or "tap")
  macvlan: 'macvlan', // macvlan_ethtool_get_drvinfo
  macvtap: 'macvlan', // macvtap uses macvlan's ethtool_ops
  vxlan: 'vxlan', // vxlan_get_drvinfo
  ifb: 'ifb', // ifb_get_drvinfo
  bond: 'bonding', // bond_ethtool_get_drvinfo (DRV_NAME)
  vlan: '802.1Q VLAN Support', // vlan_ethtool_get_drvinfo (vlan_fullname)
  geneve: 'geneve',
  dummy: 'dummy',
  team: 'team',
  ipvlan: 'ipvlan',
  vrf: 'vrf',
  gretap: 'gre',
  ip6gretap: 'ip6gre',
  openvswitch: 'openvswitch',
  wireguard: 'wireguard',
  virt_wifi: 'virt_wifi',
};

/** tun_get_drvinfo reports the flavour as bus-info; bridges say "N/A". */
function softwareBusInfo(link: LinkInfo): string | null {
  if (link.kind === 'tun') return link.tun?.type ?? null;
  if (link.kind === 'bridge') return 'N/A';
  return null;
}

function linkBase(path: string): string | null {
  try {
    return basename(readlinkSync(path));
  } catch {
    return null;
  }
}

/**
 * Driver info for one link. Reads /sys/class/net, which shows the namespace that mounted /sys:
 * `ip netns exec` remounts it, so run inside the namespace that way (as --netns does).
 */
export function driverInfoFor(link: LinkInfo, sysfsRoot = '/sys/class/net'): DriverInfo {
  // Software kinds have no sysfs device: skip two failing readlinks each (2000 veths: ~40 ms).
  if (link.kind && link.kind in SOFTWARE_DRIVERS && !link.physical) {
    return { driver: SOFTWARE_DRIVERS[link.kind] ?? null, busInfo: softwareBusInfo(link) };
  }
  const dev = `${sysfsRoot}/${link.name}/device`;
  const driver = linkBase(`${dev}/driver`);
  if (driver) return { driver, busInfo: linkBase(dev) };
  if (link.kind && link.kind in SOFTWARE_DRIVERS) {
    return { driver: SOFTWARE_DRIVERS[link.kind] ?? null, busInfo: softwareBusInfo(link) };
  }
  // lo and unknown kinds: ethtool -i says "Operation not supported".
  return { driver: null, busInfo: null };
}
