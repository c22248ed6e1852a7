/**
 * ethtool's short feature names (ethtool common.c `off_flag_def`) and how they map to kernel
 * feature names. A short name reads "on" if any matching kernel feature is on; setting it sets
 * every match. Patterns are matched against the names the running kernel reports (ETH_SS_FEATURES),
 * so new kernel bits such as `tx-tcp-accecn-segmentation` are covered by `tso` automatically.
 */
export interface ShortName {
  short: string;
  /** ethtool -k's long label for the aggregate. */
  long: string;
  /** Kernel feature name patterns ('*' = any characters). */
  patterns: string[];
}

export const SHORT_NAMES: readonly ShortName[] = [
  { short: 'rx', long: 'rx-checksumming', patterns: ['rx-checksum'] },
  { short: 'tx', long: 'tx-checksumming', patterns: ['tx-checksum-*'] },
  { short: 'sg', long: 'scatter-gather', patterns: ['tx-scatter-gather*'] },
  { short: 'tso', long: 'tcp-segmentation-offload', patterns: ['tx-tcp*-segmentation'] },
  { short: 'ufo', long: 'udp-fragmentation-offload', patterns: ['tx-udp-fragmentation'] },
  { short: 'gso', long: 'generic-segmentation-offload', patterns: ['tx-generic-segmentation'] },
  { short: 'gro', long: 'generic-receive-offload', patterns: ['rx-gro'] },
  { short: 'lro', long: 'large-receive-offload', patterns: ['rx-lro'] },
  { short: 'rxvlan', long: 'rx-vlan-offload', patterns: ['rx-vlan-hw-parse'] },
  { short: 'txvlan', long: 'tx-vlan-offload', patterns: ['tx-vlan-hw-insert'] },
  { short: 'ntuple', long: 'ntuple-filters', patterns: ['rx-ntuple-filter'] },
  { short: 'rxhash', long: 'receive-hashing', patterns: ['rx-hashing'] },
];

/**
 * Kernel features that have been in ETH_SS_FEATURES for a long time: used to expand short names
 * when no kernel list is at hand (unit tests, offline rendering). Real expansion uses the kernel's list.
 */
export const COMMON_KERNEL_FEATURES: readonly string[] = [
  'tx-scatter-gather',
  'tx-checksum-ipv4',
  'tx-checksum-ip-generic',
  'tx-checksum-ipv6',
  'highdma',
  'tx-scatter-gather-fraglist',
  'tx-vlan-hw-insert',
  'rx-vlan-hw-parse',
  'rx-vlan-filter',
  'vlan-challenged',
  'tx-generic-segmentation',
  'tx-lockless',
  'netns-local',
  'rx-gro',
  'rx-lro',
  'tx-tcp-segmentation',
  'tx-gso-robust',
  'tx-tcp-ecn-segmentation',
  'tx-tcp-mangleid-segmentation',
  'tx-tcp6-segmentation',
  'tx-fcoe-segmentation',
  'tx-gre-segmentation',
  'tx-gre-csum-segmentation',
  'tx-ipxip4-segmentation',
  'tx-ipxip6-segmentation',
  'tx-udp_tnl-segmentation',
  'tx-udp_tnl-csum-segmentation',
  'tx-gso-partial',
  'tx-tunnel-remcsum-segmentation',
  'tx-sctp-segmentation',
  'tx-esp-segmentation',
  'tx-udp-segmentation',
  'tx-gso-list',
  'tx-tcp-accecn-segmentation',
  'tx-checksum-fcoe-crc',
  'tx-checksum-sctp',
  'fcoe-mtu',
  'rx-ntuple-filter',
  'rx-hashing',
  'rx-checksum',
  'tx-nocache-copy',
  'loopback',
  'rx-fcs',
  'rx-all',
  'tx-vlan-stag-hw-insert',
  'rx-vlan-stag-hw-parse',
  'rx-vlan-stag-filter',
  'l2-fwd-offload',
  'hw-tc-offload',
  'esp-hw-offload',
  'esp-tx-csum-hw-offload',
  'rx-udp_tunnel-port-offload',
  'tls-hw-tx-offload',
  'tls-hw-rx-offload',
  'rx-gro-hw',
  'tls-hw-record',
  'rx-gro-list',
  'macsec-hw-offload',
  'rx-udp-gro-forwarding',
  'hsr-tag-ins-offload',
  'hsr-tag-rm-offload',
  'hsr-fwd-offload',
  'hsr-dup-offload',
];

const regexCache = new Map<string, RegExp>();

function patternToRegExp(p: string): RegExp {
  let re = regexCache.get(p);
  if (!re) {
    re = new RegExp(
      '^' +
        p
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*') +
        '$',
    );
    regexCache.set(p, re);
  }
  return re;
}

const byShort = new Map(SHORT_NAMES.map((s) => [s.short, s]));
const byLong = new Map(SHORT_NAMES.map((s) => [s.long, s]));

export function lookupShortName(name: string): ShortName | undefined {
  return byShort.get(name) ?? byLong.get(name);
}

/**
 * Expand a short name (tso), an ethtool long label (tcp-segmentation-offload) or a kernel name into
 * kernel feature names present in `known`. Returns [] when nothing matches.
 */
export function expandFeatureName(name: string, known: readonly string[] = COMMON_KERNEL_FEATURES): string[] {
  const sn = lookupShortName(name);
  if (!sn) return known.includes(name) ? [name] : [];
  const res = sn.patterns.map(patternToRegExp);
  return known.filter((k) => res.some((r) => r.test(k)));
}

/** The short name (tso, gso, ...) whose patterns cover a kernel feature name, or null. */
const shortOf = new Map<string, string | null>();
export function shortNameOf(kernelName: string): string | null {
  let s = shortOf.get(kernelName);
  if (s === undefined) {
    s = SHORT_NAMES.find((sn) => sn.patterns.some((p) => patternToRegExp(p).test(kernelName)))?.short ?? null;
    shortOf.set(kernelName, s);
  }
  return s;
}

/**
 * Every feature name a policy may use without a kernel at hand: short names, ethtool's long labels
 * (which are also the legacy keys of `ethtool --json -k`) and the common kernel names.
 */
export function acceptedFeatureNames(): string[] {
  return [...SHORT_NAMES.map((s) => s.short), ...SHORT_NAMES.map((s) => s.long), ...COMMON_KERNEL_FEATURES];
}

/** True when a policy may name this feature (short name, long label or known kernel name). */
export function isAcceptedFeatureName(name: string): boolean {
  return lookupShortName(name) !== undefined || COMMON_KERNEL_FEATURES.includes(name);
}
