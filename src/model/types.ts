/**
 * The data that flows through offloadctl's pipeline:
 *   observe (kernel → Observation) → desire (Policy → Desired) → plan (Plan) → apply (Snapshot, Report) → restore.
 * Everything here is plain, serialisable data. Only src/kernel and src/lab talk to the kernel.
 */

/** One feature as the kernel reports it (ethtool netlink FEATURES_GET). */
export interface FeatureState {
  /** ETHTOOL_A_FEATURES_ACTIVE: what the device does now. */
  active: boolean;
  /** ETHTOOL_A_FEATURES_WANTED: what was asked for (persists while a dependency holds it off). */
  requested: boolean;
  /** Not in ETHTOOL_A_FEATURES_HW, or in ETHTOOL_A_FEATURES_NOCHANGE: cannot be changed. */
  fixed: boolean;
}

/** Keyed by the kernel's own feature names (ETH_SS_FEATURES), e.g. `tx-tcp-segmentation`. */
export type FeatureMap = Record<string, FeatureState>;

/** tun/tap details from IFLA_INFO_DATA (IFLA_TUN_*). */
export interface TunInfo {
  type: 'tun' | 'tap';
  vnetHdr: boolean;
  multiQueue: boolean;
  persist: boolean;
  owner: number | null;
  group: number | null;
}

/** A link as rtnetlink (RTM_GETLINK) reports it. */
export interface LinkInfo {
  ifindex: number;
  name: string;
  /** IFLA_INFO_KIND (bridge, veth, tun, bond, vlan, macvlan, macvtap, vxlan, ...); null for physical NICs and lo. */
  kind: string | null;
  /** IFLA_INFO_SLAVE_KIND: 'bridge' or 'bond' when the link is enslaved. */
  slaveKind: string | null;
  /** IFLA_MASTER ifindex. */
  masterIndex: number | null;
  /** IFLA_LINK ifindex (parent of a VLAN/macvlan, peer of a veth) when in this namespace. */
  parentIndex: number | null;
  mtu: number;
  /** IFLA_OPERSTATE as ip(8) prints it: UP, DOWN, UNKNOWN, LOWERLAYERDOWN, ... */
  operstate: string;
  /** IFLA_ADDRESS as aa:bb:cc:dd:ee:ff, null when absent. */
  mac: string | null;
  /** Interface flags (IFF_*). */
  flags: number;
  /** IFLA_TUN_* details when kind is tun. */
  tun: TunInfo | null;
  /** VLAN id when kind is vlan. */
  vlanId: number | null;
  /** IFLA_PARENT_DEV_NAME / sysfs device: true when backed by a physical device. */
  physical: boolean;
}

export interface DriverInfo {
  /** e.g. e1000e, virtio_net, veth, bridge, tun. */
  driver: string | null;
  busInfo: string | null;
}

export type Role =
  | 'loopback'
  | 'bridge'
  | 'vm-port' // tap/vnet/vif/macvtap carrying one VM's NIC
  | 'uplink' // physical NIC or bond that is a bridge port
  | 'bond'
  | 'vlan'
  | 'veth'
  | 'physical' // physical NIC not in a bridge
  | 'tunnel' // vxlan, geneve, gre ...
  | 'firewall' // Proxmox fwbr/fwpr/fwln, OpenStack qbr/qvb/qvo plumbing
  | 'other';

export type VmPlatform = 'libvirt' | 'proxmox' | 'openstack' | 'xen';

export interface VmRef {
  platform: VmPlatform;
  /** libvirt domain UUID, Proxmox vmid, OpenStack port-id prefix, Xen domid. */
  id: string | null;
  /** Human name (libvirt domain name) when knowable. */
  name: string | null;
  /** NIC index or MAC as far as the naming scheme tells. */
  nic: string | null;
}

/** One interface after observation and classification. */
export interface Interface {
  ifindex: number;
  name: string;
  kind: string | null;
  role: Role;
  master: string | null;
  driver: string | null;
  mtu: number;
  operstate: string;
  vm: VmRef | null;
  features: FeatureMap;
  /** Present when OVSDB lists the link as an Open vSwitch interface (src/ovs). */
  ovs?: OvsLink;
}

/** What OVSDB records about an interface: its OVS bridge and port, type and external_ids. */
export interface OvsLink {
  bridge: string;
  port: string;
  /** Interface.type: '' (system), internal, tap, ... */
  type: string;
  /** Bridge.datapath_type: '' / system (kernel datapath) or netdev (userspace). */
  datapathType: string;
  externalIds: Record<string, string>;
}

export interface Observation {
  takenAt: string;
  /** The KernelBackend that observed ('fake' in unit tests). */
  backend: 'netlink' | 'ethtool' | 'fake';
  interfaces: Interface[];
  /** Open vSwitch bridges when OVSDB answered: what has no kernel device (tunnel and patch ports). */
  ovsBridges?: OvsBridgeSummary[];
}

export interface OvsBridgeSummary {
  name: string;
  datapathType: string;
  /** Tunnel interfaces (vxlan, geneve, gre, ...) with their options (remote_ip, local_ip, key, dst_port). */
  tunnels: { name: string; type: string; options: Record<string, string> }[];
  /** Bridges this one reaches through patch ports (options:peer). */
  patchedTo: string[];
}

/** Features a policy wants on one interface. */
export interface DesiredInterface {
  ifindex: number;
  name: string;
  /** kernel feature name → wanted value, with the rule that decided it. */
  features: Record<string, { value: boolean; rule: string }>;
}

export interface Desired {
  policy: string;
  interfaces: DesiredInterface[];
}

/** A policy rule's feature setting, as written: short name (tso), ethtool long label or kernel name. */
export type FeatureValue = 'on' | 'off';

/** Which interfaces a rule applies to. Every given field must match (AND); list items are OR-ed. */
export interface Selector {
  role?: Role[];
  /** Interface name globs (picomatch), e.g. `vnet*`, `tap*i*`, `vif*.*`. */
  name?: string[];
  kind?: string[];
  driver?: string[];
  /** Globs matched against the master's name (the bridge or bond). */
  master?: string[];
  vmPlatform?: VmPlatform[];
}

export interface Rule {
  /** Shown in plans and findings as the reason for a change. */
  name?: string;
  select: Selector;
  exclude?: Selector;
  features: Record<string, FeatureValue>;
}

/** A declarative policy (built-in profile or YAML file). Later rules override earlier ones. */
export interface Policy {
  name: string;
  description?: string;
  /** Name of a built-in profile whose rules come first. Resolved when loaded. */
  extends?: string;
  rules: Rule[];
  /** 'builtin' or the file path it was loaded from. */
  source: string;
}
