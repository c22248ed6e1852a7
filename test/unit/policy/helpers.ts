import type { FeatureMap, Interface, Observation, Role } from '../../../src/model/types.js';

/** Hand-built observations for unit tests (no kernel, no FakeKernel). */

/** Feature names of a 6.18 veth/bridge (tx-tcp-accecn-segmentation included). */
export const FEATURES_618 = [
  'tx-scatter-gather',
  'tx-scatter-gather-fraglist',
  'tx-checksum-ipv4',
  'tx-checksum-ip-generic',
  'tx-checksum-ipv6',
  'tx-checksum-sctp',
  'rx-checksum',
  'tx-generic-segmentation',
  'rx-gro',
  'rx-lro',
  'tx-tcp-segmentation',
  'tx-tcp-ecn-segmentation',
  'tx-tcp-mangleid-segmentation',
  'tx-tcp6-segmentation',
  'tx-tcp-accecn-segmentation',
  'tx-udp-segmentation',
  'highdma',
];

/** A 6.1-like list: no accecn. */
export const FEATURES_61 = FEATURES_618.filter((f) => f !== 'tx-tcp-accecn-segmentation');

export function features(
  names: readonly string[],
  on: boolean,
  overrides: Record<string, Partial<{ active: boolean; requested: boolean; fixed: boolean }>> = {},
): FeatureMap {
  const m: FeatureMap = {};
  for (const n of names) m[n] = { active: on, requested: on, fixed: false, ...overrides[n] };
  return m;
}

let nextIndex = 1;
export function iface(name: string, role: Role, extra: Partial<Interface> = {}): Interface {
  return {
    ifindex: nextIndex++,
    name,
    kind: role === 'bridge' ? 'bridge' : role === 'veth' ? 'veth' : role === 'vm-port' ? 'tun' : null,
    role,
    master: null,
    driver: role === 'bridge' ? 'bridge' : role === 'veth' ? 'veth' : role === 'vm-port' ? 'tun' : 'e1000e',
    mtu: 1500,
    operstate: 'UP',
    vm: null,
    features: features(FEATURES_618, true),
    ...extra,
  };
}

export function observation(interfaces: Interface[]): Observation {
  return { takenAt: '2026-01-01T00:00:00.000Z', backend: 'netlink', interfaces };
}

/** A small KVM host: lo, uplink eno1 and two VM taps under br0, a veth outside any bridge. */
export function kvmHost(): Observation {
  return observation([
    iface('lo', 'loopback', { kind: null, driver: null, mtu: 65536 }),
    iface('eno1', 'uplink', { master: 'br0' }),
    iface('br0', 'bridge'),
    iface('tap100i0', 'vm-port', { master: 'br0', vm: { platform: 'proxmox', id: '100', name: null, nic: '0' } }),
    iface('vnet3', 'vm-port', {
      master: 'br0',
      vm: { platform: 'libvirt', id: null, name: 'web1', nic: null },
      features: features(FEATURES_61, true),
    }),
    iface('veth9', 'veth'),
  ]);
}
