/**
 * `ethtool --json -k IF` (and `ethtool --json -k '*'`, ethtool 6.1's one-dump mode) → FeatureMap.
 * ethtool prints kernel feature names, except a few legacy long labels for single features and three
 * aggregates of several features whose fixed/requested are null (ethtool common.c off_flag_def).
 */
import type { FeatureMap } from '../../model/types.js';

/** ethtool's legacy long label → kernel feature name (one-to-one). */
export const LEGACY_TO_KERNEL: Readonly<Record<string, string>> = {
  'rx-checksumming': 'rx-checksum',
  'generic-segmentation-offload': 'tx-generic-segmentation',
  'generic-receive-offload': 'rx-gro',
  'large-receive-offload': 'rx-lro',
  'rx-vlan-offload': 'rx-vlan-hw-parse',
  'tx-vlan-offload': 'tx-vlan-hw-insert',
  'ntuple-filters': 'rx-ntuple-filter',
  'receive-hashing': 'rx-hashing',
};

/** Labels ethtool computes over several kernel features; not features themselves. */
export const AGGREGATES: ReadonlySet<string> = new Set([
  'tx-checksumming',
  'scatter-gather',
  'tcp-segmentation-offload',
  'udp-fragmentation-offload',
]);

interface JsonFeature {
  active: boolean | null;
  fixed: boolean | null;
  requested: boolean | null;
}

export interface EthtoolFeatures {
  ifname: string;
  features: FeatureMap;
  /** Kernel names in ethtool's print order. */
  order: string[];
}

function isFeature(v: unknown): v is JsonFeature {
  return typeof v === 'object' && v !== null && 'active' in v;
}

/** Parse ethtool --json -k output: an array of { ifname, <label>: {active, fixed, requested} }. */
export function parseEthtoolFeatures(json: string): EthtoolFeatures[] {
  const data = JSON.parse(json) as unknown;
  if (!Array.isArray(data)) throw new SyntaxError('ethtool --json -k: expected an array');
  const out: EthtoolFeatures[] = [];
  for (const dev of data as Record<string, unknown>[]) {
    const ifname = typeof dev.ifname === 'string' ? dev.ifname : '';
    const features: FeatureMap = {};
    const order: string[] = [];
    for (const [label, v] of Object.entries(dev)) {
      if (label === 'ifname' || AGGREGATES.has(label) || !isFeature(v)) continue;
      if (v.fixed === null || v.requested === null) continue; // an aggregate we do not know
      const name = LEGACY_TO_KERNEL[label] ?? label;
      features[name] = { active: v.active === true, requested: v.requested === true, fixed: v.fixed === true };
      order.push(name);
    }
    out.push({ ifname, features, order });
  }
  return out;
}
