import type { FeatureMap, Interface, Observation, Role } from '../../../src/model/types.js';

/** Features from a compact spec: name → 'on' | 'off' | 'off [fixed]' | 'off [requested on]' | 'on [fixed]'. */
export function feats(spec: Record<string, string>): FeatureMap {
  const out: FeatureMap = {};
  for (const [k, v] of Object.entries(spec)) {
    const active = v.startsWith('on');
    const fixed = v.includes('[fixed]');
    const requested = v.includes('[requested on]') ? true : v.includes('[requested off]') ? false : active;
    out[k] = { active, requested, fixed };
  }
  return out;
}

let next = 1;
export function iface(name: string, p: Partial<Interface> & { role: Role }): Interface {
  return {
    ifindex: next++,
    name,
    kind: null,
    master: null,
    driver: null,
    mtu: 1500,
    operstate: 'UP',
    vm: null,
    features: {},
    ...p,
  };
}

export function observation(interfaces: Interface[]): Observation {
  return { takenAt: '2026-11-25T12:00:00.000Z', backend: 'netlink', interfaces };
}

/** A healthy path: eno1 (uplink) ↔ vmbr0 ↔ tap100i0, all offloads on. */
export const PATH_ON = {
  'tx-tcp-segmentation': 'on',
  'tx-generic-segmentation': 'on',
  'rx-gro': 'on',
  'tx-scatter-gather': 'on',
  'rx-lro': 'off [fixed]',
};
