/**
 * The oracle of the netns tests (not a test file): what the kernel shows through tools that are not
 * offloadctl, read inside a test namespace — `ethtool --json -k` (every feature: active, requested,
 * fixed) and `ip -json -d link`.
 *
 * Written out here independently of src/: never import src/kernel/ethtool-cli/parse-features.ts
 * (or anything else that decodes features) — that is code under test.
 */
import assert from 'node:assert/strict';
import { ipIn, nsRunOk } from '../../../src/lab/netns.js';

/**
 * ethtool's JSON keeps legacy long labels for some single features (ethtool common.c off_flag_def
 * long names with one kernel bit): label → kernel feature name.
 */
export const LEGACY: Readonly<Record<string, string>> = {
  'rx-checksumming': 'rx-checksum',
  'generic-segmentation-offload': 'tx-generic-segmentation',
  'generic-receive-offload': 'rx-gro',
  'large-receive-offload': 'rx-lro',
  'rx-vlan-offload': 'rx-vlan-hw-parse',
  'tx-vlan-offload': 'tx-vlan-hw-insert',
  'ntuple-filters': 'rx-ntuple-filter',
  'receive-hashing': 'rx-hashing',
};

/** Legacy labels over several kernel bits: ethtool prints their fixed/requested as null. */
export const AGGREGATES: ReadonlySet<string> = new Set([
  'tx-checksumming',
  'scatter-gather',
  'tcp-segmentation-offload',
  'udp-fragmentation-offload',
]);

export interface FeatureState {
  active: boolean;
  requested: boolean;
  fixed: boolean;
}
/** Kernel feature name → state, for one interface. */
export type Features = Record<string, FeatureState>;
/** Interface name → its features. */
export type State = Record<string, Features>;

/**
 * One object of `ethtool --json -k` → kernel feature name → { active, requested, fixed }: legacy
 * labels mapped to kernel names; `ifname`, the aggregates and any other entry whose fixed or
 * requested is null (an aggregate) dropped.
 */
export function parseEthtoolFeatures(obj: Record<string, unknown>): Features {
  const out: Features = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'ifname' || AGGREGATES.has(k) || typeof v !== 'object' || v === null) continue;
    const s = v as { active: boolean; requested: boolean | null; fixed: boolean | null };
    if (s.fixed === null || s.requested === null) continue;
    out[LEGACY[k] ?? k] = { active: s.active, requested: s.requested, fixed: s.fixed };
  }
  return out;
}

/** `ethtool --json -k IFNAME` inside ns. */
export async function oracleFeatures(ns: string, ifname: string): Promise<Features> {
  const [obj] = JSON.parse(await nsRunOk(ns, ['ethtool', '--json', '-k', ifname])) as Record<string, unknown>[];
  assert.equal(obj?.ifname, ifname, `ethtool --json -k ${ifname}: the object names its interface`);
  return parseEthtoolFeatures(obj!);
}

/** Every interface's features in ns, from one `ethtool --json -k '*'`. */
export async function oracleAll(ns: string): Promise<State> {
  const all = JSON.parse(await nsRunOk(ns, ['ethtool', '--json', '-k', '*'], { timeoutMs: 60_000 })) as Record<
    string,
    unknown
  >[];
  const out: State = {};
  for (const obj of all) out[obj.ifname as string] = parseEthtoolFeatures(obj);
  return out;
}

/** One link of `ip -json -d link show` (the fields the tests read). */
export interface OracleLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  operstate: string;
  address?: string;
  master?: string;
  link?: string;
  flags: string[];
  linkinfo?: { info_kind?: string; info_slave_kind?: string; info_data?: Record<string, unknown> };
}

/** `ip -json -d link show` in ns. */
export async function oracleLinks(ns: string): Promise<OracleLink[]> {
  return JSON.parse(await ipIn(ns, ['-json', '-d', 'link', 'show'])) as OracleLink[];
}

/** TSO and GSO: every tx-tcp*-segmentation bit and tx-generic-segmentation. */
export const isTsoGso = (f: string): boolean => /^tx-tcp.*-segmentation$/.test(f) || f === 'tx-generic-segmentation';

/** Lines "IF FEATURE: before → after" for every difference between two oracle states (empty: identical). */
export function diff(a: State, b: State, filter: (ifname: string, feature: string) => boolean = () => true): string[] {
  const out: string[] = [];
  for (const ifname of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const fa = a[ifname];
    const fb = b[ifname];
    if (!fa || !fb) {
      out.push(`${ifname}: ${fa ? 'gone' : 'new'}`);
      continue;
    }
    for (const f of new Set([...Object.keys(fa), ...Object.keys(fb)])) {
      if (!filter(ifname, f)) continue;
      const x = JSON.stringify(fa[f]);
      const y = JSON.stringify(fb[f]);
      if (x !== y) out.push(`${ifname} ${f}: ${x} → ${y}`);
    }
  }
  return out;
}
