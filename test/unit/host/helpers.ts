import type { FeatureMap, LinkInfo } from '../../../src/model/types.js';

/** A LinkInfo with defaults, for tests. */
export function link(ifindex: number, name: string, over: Partial<LinkInfo> = {}): LinkInfo {
  return {
    ifindex,
    name,
    kind: null,
    slaveKind: null,
    masterIndex: null,
    parentIndex: null,
    mtu: 1500,
    operstate: 'UP',
    mac: null,
    flags: 0,
    tun: null,
    vlanId: null,
    physical: false,
    ...over,
  };
}

export const TAP = { type: 'tap' as const, vnetHdr: true, multiQueue: false, persist: false, owner: null, group: null };

/** Features from a compact spec: name → 'on' | 'off' | 'off-fixed' | 'on-fixed' | 'off-req-on' | 'on-req-off'. */
export function feats(spec: Record<string, string>): FeatureMap {
  const out: FeatureMap = {};
  for (const [k, v] of Object.entries(spec)) {
    const [state, ...rest] = v.split('-');
    const active = state === 'on';
    const fixed = rest.includes('fixed');
    const requested = rest[0] === 'req' ? rest[1] === 'on' : active;
    out[k] = { active, requested, fixed };
  }
  return out;
}
