import type { OvsInterface, OvsTopology } from './types.js';

/**
 * What OVSDB says about one kernel link that is an OVS interface, keyed by the kernel name.
 *
 * Which OVS interfaces have a kernel netdev of their own name:
 * - type '' (system) and 'tap': an existing kernel device the bridge opened (the kernel datapath adds
 *   it as a vport: net/openvswitch/vport-netdev.c ovs_netdev_link(); the userspace datapath reads it
 *   through an AF_PACKET socket: lib/netdev-linux.c).
 * - 'internal': the kernel datapath creates it (net/openvswitch/vport-internal_dev.c
 *   internal_dev_create(), rtnl kind `openvswitch`); the userspace datapath creates a tap device
 *   instead (lib/netdev-linux.c netdev_linux_construct_tap(), rtnl kind `tun`).
 * - tunnels (vxlan, geneve, gre, ...) have none: the kernel datapath shares one device per tunnel type
 *   and UDP port, `<type>_sys_<dst_port>` (lib/netdev-vport.c netdev_vport_get_dpif_port()), e.g.
 *   vxlan_sys_4789, genev_sys_6081, gre_sys. patch and dpdk interfaces have no kernel device at all.
 */
export interface OvsPortFacts {
  bridge: string;
  /** The OVS port this interface belongs to (a bond's port name differs from its members'). */
  port: string;
  /** Interface.type ('' = system). */
  type: string;
  /** The interface is a member of a bond port (a port with more than one interface). */
  bond: boolean;
  /** Bridge.datapath_type ('' or 'system' = kernel datapath, 'netdev' = userspace). */
  datapathType: string;
  externalIds: Record<string, string>;
  /** Interface.ifindex as ovs-vswitchd recorded it (null: not yet, or no kernel device). */
  ifindex: number | null;
  /** Interface.mac_in_use (null: not recorded). */
  macInUse: string | null;
}

export type OvsPortIndex = Map<string, OvsPortFacts>;

/** OVS interface types that are tunnels (vswitch.xml, Interface.type). */
export const OVS_TUNNEL_TYPES = new Set([
  'vxlan',
  'geneve',
  'gre',
  'ip6gre',
  'erspan',
  'ip6erspan',
  'stt',
  'lisp',
  'gtpu',
  'bareudp',
  'srv6',
]);

/** The kernel datapath's shared tunnel devices (netdev_vport_get_dpif_port): vxlan_sys_4789, genev_sys_6081, gre_sys. */
export const DATAPATH_TUNNEL_DEVICE =
  /^(?:vxlan|genev|geneve|gre|ip6gre|erspan|ip6erspan|stt|lisp|gtpu|bareudp)_sys(?:_\d+)?$/;

/** The kernel datapath's own device (net/openvswitch/datapath.c: the datapath's local port, rtnl kind openvswitch). */
export const OVS_SYSTEM = 'ovs-system';

/**
 * The datapath's own devices: `ovs-system` (kernel datapath, rtnl kind openvswitch: the datapath's local
 * port, net/openvswitch/datapath.c new_vport()) and `ovs-netdev` (userspace datapath: a tap device,
 * lib/dpif-netdev.c create_dp_netdev()). Plumbing: not a VM port, not a bridge anyone configures.
 */
export function isOvsDatapathDevice(name: string): boolean {
  return name === OVS_SYSTEM || name === 'ovs-netdev';
}

/** Interface types that have a kernel netdev of the same name. */
function hasKernelDevice(i: OvsInterface): boolean {
  return i.type === '' || i.type === 'system' || i.type === 'tap' || i.type === 'internal';
}

/** What ovsPortIndex compares of a kernel link. */
export interface LinkIdentity {
  ifindex: number;
  mac: string | null;
}

/** Is OVSDB's interface row this namespace's link of that name? */
export function sameDevice(i: Pick<OvsInterface, 'ifindex' | 'macInUse'>, link: LinkIdentity): boolean {
  if (i.ifindex !== null && i.ifindex !== link.ifindex) return false;
  if (i.macInUse !== null && link.mac !== null && i.macInUse !== link.mac.toLowerCase()) return false;
  return true;
}

/**
 * Kernel name → facts, for every OVS interface that has a kernel device.
 * `links` (name → ifindex and MAC in the observing namespace) guards against a same-named device
 * elsewhere: when OVSDB recorded an ifindex (Interface.ifindex) or a MAC (mac_in_use) and it differs
 * from this namespace's link, the interface is not this link (OVS runs in another namespace — e.g.
 * the host's OVS seen from a lab namespace, where an `eth0` may even have the same ifindex — or the
 * row is stale).
 */
export function ovsPortIndex(topo: OvsTopology, links?: ReadonlyMap<string, LinkIdentity>): OvsPortIndex {
  const out: OvsPortIndex = new Map();
  for (const b of topo.bridges) {
    for (const p of b.ports) {
      for (const i of p.interfaces) {
        if (!hasKernelDevice(i) || !i.name) continue;
        if (links) {
          const link = links.get(i.name);
          if (link === undefined || !sameDevice(i, link)) continue;
        }
        out.set(i.name, {
          bridge: b.name,
          port: p.name,
          type: i.type === 'system' ? '' : i.type,
          bond: p.interfaces.length > 1,
          datapathType: b.datapathType,
          externalIds: { ...i.externalIds },
          ifindex: i.ifindex,
          macInUse: i.macInUse,
        });
      }
    }
  }
  return out;
}

/** The OVS tunnel interfaces of each bridge (they have no kernel device of their own name). */
export function tunnelsByBridge(topo: OvsTopology): Map<string, OvsInterface[]> {
  const out = new Map<string, OvsInterface[]>();
  for (const b of topo.bridges) {
    const t = b.ports.flatMap((p) => p.interfaces.filter((i) => OVS_TUNNEL_TYPES.has(i.type)));
    if (t.length) out.set(b.name, t);
  }
  return out;
}

/** What the doctor needs of OVS beyond kernel links: tunnels per bridge and patch-port links between bridges. */
export function bridgeSummaries(topo: OvsTopology): import('../model/types.js').OvsBridgeSummary[] {
  const bridgeOfIface = new Map<string, string>();
  for (const b of topo.bridges)
    for (const p of b.ports) for (const i of p.interfaces) bridgeOfIface.set(i.name, b.name);
  return topo.bridges.map((b) => {
    const ifaces = b.ports.flatMap((p) => p.interfaces);
    const patchedTo = ifaces
      .filter((i) => i.type === 'patch' && i.options.peer)
      .map((i) => bridgeOfIface.get(i.options.peer!))
      .filter((x): x is string => x !== undefined && x !== b.name);
    return {
      name: b.name,
      datapathType: b.datapathType,
      tunnels: ifaces
        .filter((i) => OVS_TUNNEL_TYPES.has(i.type))
        .map((i) => ({ name: i.name, type: i.type, options: { ...i.options } })),
      patchedTo: [...new Set(patchedTo)].sort(),
    };
  });
}
