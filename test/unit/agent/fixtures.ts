import type { FeatureMap, Interface, LinkInfo } from '../../../src/model/types.js';
import { TAP, link as baseLink } from '../host/helpers.js';

/** A LinkInfo as the agent tests want it by default: up (flags 0x1003); kind 'tun' is a persistent tap. */
export function link(ifindex: number, name: string, kind: string | null, extra: Partial<LinkInfo> = {}): LinkInfo {
  return baseLink(ifindex, name, {
    kind,
    flags: 0x1003,
    tun: kind === 'tun' ? { ...TAP, persist: true } : null,
    ...extra,
  });
}

/** A veth-like feature map: everything changeable, TSO/GSO/SG on. */
export function feats(
  over: Partial<Record<string, Partial<{ active: boolean; requested: boolean; fixed: boolean }>>> = {},
): FeatureMap {
  const base: FeatureMap = {
    'tx-scatter-gather': { active: true, requested: true, fixed: false },
    'tx-tcp-segmentation': { active: true, requested: true, fixed: false },
    'tx-tcp6-segmentation': { active: true, requested: true, fixed: false },
    'tx-generic-segmentation': { active: true, requested: true, fixed: false },
    'rx-gro': { active: true, requested: true, fixed: false },
    'tx-checksum-ip-generic': { active: true, requested: true, fixed: false },
  };
  for (const [k, v] of Object.entries(over))
    base[k] = { ...(base[k] ?? { active: false, requested: false, fixed: false }), ...v };
  return base;
}

export function iface(
  ifindex: number,
  name: string,
  kind: string | null,
  features: FeatureMap,
  role: Interface['role'] = 'veth',
): Interface {
  return { ifindex, name, kind, role, master: null, driver: null, mtu: 1500, operstate: 'UP', vm: null, features };
}
