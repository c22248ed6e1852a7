/**
 * Open vSwitch as OVSDB describes it (the Open_vSwitch schema, vswitch.ovsschema): bridges, their
 * ports, the ports' interfaces. Plain data, decoded from OVSDB's JSON wire values (RFC 7047 §5.1).
 */

export interface OvsInterface {
  uuid: string;
  name: string;
  /** Interface.type: '' (system: a kernel netdev), internal, tap, patch, vxlan, geneve, gre, stt, dpdk, ... */
  type: string;
  /** Interface.ifindex, filled by ovs-vswitchd for kernel-backed devices; null when empty or 0. */
  ifindex: number | null;
  mtu: number | null;
  /** Interface.mac_in_use: the device's MAC as ovs-vswitchd read it (null: not recorded). */
  macInUse: string | null;
  /** Interface.external_ids: iface-id, vm-uuid, attached-mac, xs-vif-uuid, vm-id, ... */
  externalIds: Record<string, string>;
  /** Interface.options: remote_ip, dst_port, peer (patch), key, ... */
  options: Record<string, string>;
}

export interface OvsPort {
  uuid: string;
  name: string;
  interfaces: OvsInterface[];
  /** Port.bond_mode (active-backup, balance-slb, balance-tcp) when the port is a bond; null otherwise. */
  bondMode: string | null;
  externalIds: Record<string, string>;
}

export interface OvsBridge {
  uuid: string;
  name: string;
  /** Bridge.datapath_type: '' or 'system' (kernel datapath, ovs-system), 'netdev' (userspace). */
  datapathType: string;
  ports: OvsPort[];
  /** Bridge.external_ids: XAPI writes xs-network-uuids here. */
  externalIds: Record<string, string>;
}

export interface OvsTopology {
  bridges: OvsBridge[];
}

export { OVSDB_COLUMNS, type OvsdbRow, type OvsdbTables } from '../kernel/ovsdb-wire.js';
