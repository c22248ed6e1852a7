import type { Desired, FeatureMap, Interface, LinkInfo, Observation, Role } from '../../../src/model/types.js';

/** Hand-built devices for plan/apply unit tests, shaped after what kernel 6.18 reports. */

type F = { active: boolean; requested: boolean; fixed: boolean };
const on = (): F => ({ active: true, requested: true, fixed: false });
const off = (): F => ({ active: false, requested: false, fixed: false });
const fixedOff = (): F => ({ active: false, requested: false, fixed: true });
const fixedOn = (): F => ({ active: true, requested: true, fixed: true });
const heldOff = (): F => ({ active: false, requested: true, fixed: false });

export const TSO = [
  'tx-tcp-segmentation',
  'tx-tcp-ecn-segmentation',
  'tx-tcp-mangleid-segmentation',
  'tx-tcp6-segmentation',
  'tx-tcp-accecn-segmentation',
];

/** A veth on 6.18 (ethtool -k, trimmed). */
export function vethFeatures(): FeatureMap {
  return {
    'rx-checksum': on(),
    'tx-checksum-ipv4': fixedOff(),
    'tx-checksum-ip-generic': on(),
    'tx-checksum-ipv6': fixedOff(),
    'tx-scatter-gather': on(),
    'tx-scatter-gather-fraglist': on(),
    'tx-tcp-segmentation': on(),
    'tx-tcp-ecn-segmentation': on(),
    'tx-tcp-mangleid-segmentation': on(),
    'tx-tcp6-segmentation': on(),
    'tx-tcp-accecn-segmentation': on(),
    'tx-generic-segmentation': on(),
    'tx-udp-segmentation': on(),
    'tx-fcoe-segmentation': fixedOff(),
    'rx-gro': off(),
    'rx-lro': fixedOff(),
    highdma: on(),
    'netns-local': fixedOff(),
  };
}

/** A fresh tap with vnet_hdr: QEMU has not enabled offloads (TUNSETOFFLOAD), requested bits are on. */
export function tapFeatures(): FeatureMap {
  return {
    ...vethFeatures(),
    'rx-checksum': fixedOff(),
    'tx-checksum-ip-generic': heldOff(),
    'tx-tcp-segmentation': heldOff(),
    'tx-tcp-ecn-segmentation': heldOff(),
    'tx-tcp-mangleid-segmentation': off(),
    'tx-tcp6-segmentation': heldOff(),
    'tx-tcp-accecn-segmentation': fixedOff(),
    'tx-udp-segmentation': heldOff(),
    'rx-gro': on(),
  };
}

export function bridgeFeatures(): FeatureMap {
  return { ...vethFeatures(), 'rx-checksum': fixedOff(), 'tx-gso-robust': heldOff() };
}

/** An e1000-like NIC: no IPv6 TSO, no accecn (fixed off). */
export function nicFeatures(): FeatureMap {
  return {
    ...vethFeatures(),
    'tx-checksum-ipv4': on(),
    'tx-checksum-ip-generic': fixedOff(),
    'tx-tcp6-segmentation': fixedOff(),
    'tx-tcp-accecn-segmentation': fixedOff(),
    'tx-tcp-mangleid-segmentation': off(),
    'tx-scatter-gather-fraglist': fixedOff(),
    'tx-udp-segmentation': fixedOff(),
    'rx-gro': on(),
    'netns-local': fixedOff(),
    'tx-vlan-hw-insert': fixedOn(),
  };
}

export function iface(
  ifindex: number,
  name: string,
  role: Role,
  features: FeatureMap,
  extra: Partial<Interface> = {},
): Interface {
  const kind =
    role === 'bridge'
      ? 'bridge'
      : role === 'veth'
        ? 'veth'
        : role === 'vm-port'
          ? 'tun'
          : role === 'bond'
            ? 'bond'
            : null;
  const driver = kind === 'bond' ? 'bonding' : (kind ?? (role === 'loopback' ? null : 'e1000e'));
  return { ifindex, name, kind, role, master: null, driver, mtu: 1500, operstate: 'UP', vm: null, features, ...extra };
}

export function observation(interfaces: Interface[]): Observation {
  return { takenAt: '2026-01-01T00:00:00.000Z', backend: 'netlink', interfaces };
}

/** br0 with a NIC, a tap and a veth as ports, plus a veth outside any bridge. */
export function host(): Observation {
  return observation([
    iface(2, 'eno1', 'uplink', nicFeatures(), { master: 'br0' }),
    iface(3, 'br0', 'bridge', bridgeFeatures()),
    iface(4, 'tap100i0', 'vm-port', tapFeatures(), { master: 'br0' }),
    iface(5, 'veth0', 'veth', vethFeatures(), { master: 'br0' }),
    iface(6, 'veth9', 'veth', vethFeatures()),
  ]);
}

/** Desired: `values` (kernel name → on/off) on every listed interface that has the feature. */
export function desire(obs: Observation, values: Record<string, boolean>, names?: string[], rule = 'r1'): Desired {
  return {
    policy: 'test',
    interfaces: obs.interfaces
      .filter((i) => (names ? names.includes(i.name) : i.role !== 'loopback'))
      .map((i) => ({
        ifindex: i.ifindex,
        name: i.name,
        features: Object.fromEntries(
          Object.entries(values)
            .filter(([f]) => f in i.features)
            .map(([f, v]) => [f, { value: v, rule }]),
        ),
      })),
  };
}

export const TSO_GSO_OFF: Record<string, boolean> = Object.fromEntries(
  [...TSO, 'tx-generic-segmentation'].map((f) => [f, false]),
);

/** LinkInfo for FakeKernel. */
export function link(
  ifindex: number,
  name: string,
  kind: string | null,
  masterIndex: number | null = null,
  physical = false,
): LinkInfo {
  return {
    ifindex,
    name,
    kind,
    slaveKind: masterIndex !== null ? 'bridge' : null,
    masterIndex,
    parentIndex: null,
    mtu: 1500,
    operstate: 'UP',
    mac: null,
    flags: 0,
    tun:
      kind === 'tun'
        ? { type: 'tap', vnetHdr: true, multiQueue: false, persist: true, owner: null, group: null }
        : null,
    vlanId: null,
    physical,
  };
}
