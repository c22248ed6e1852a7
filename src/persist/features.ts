import { SHORT_NAMES, expandFeatureName } from '../policy/short-names.js';

/**
 * Turning a wanted feature set (kernel names → on/off) into what each mechanism can say.
 * Pure. Each mechanism knows only some names; what it cannot say is returned as `uncovered`
 * so --check can name the gap instead of pretending.
 */

export interface Mapped<T> {
  entries: T[];
  covered: string[];
  uncovered: string[];
}

/**
 * ethtool -K arguments: a short name (tso, gso, ...) where every kernel feature it stands for on
 * this interface is wanted with the same value (ethtool then sets every match, including bits it
 * learns from the running kernel such as tx-tcp-accecn-segmentation), kernel names otherwise.
 */
export function ethtoolArgs(desired: Record<string, boolean>, known: readonly string[]): [string, 'on' | 'off'][] {
  const left = new Map(Object.entries(desired));
  const out: [string, 'on' | 'off'][] = [];
  for (const sn of SHORT_NAMES) {
    const members = expandFeatureName(sn.short, known);
    if (members.length === 0) continue;
    const values = members.map((m) => left.get(m));
    const first = values[0];
    if (first === undefined || !values.every((v) => v === first)) continue;
    out.push([sn.short, first ? 'on' : 'off']);
    for (const m of members) left.delete(m);
  }
  for (const [k, v] of [...left.entries()].sort(([a], [b]) => a.localeCompare(b))) out.push([k, v ? 'on' : 'off']);
  return out;
}

export function ethtoolArgv(desired: Record<string, boolean>, known: readonly string[]): string[] {
  return ethtoolArgs(desired, known).flat();
}

/**
 * Group-valued keys (one key sets several kernel bits): the key is emitted only when every member
 * the interface has is wanted with one value. `implied` bits follow by kernel dependency when the
 * key is off (netdev_fix_features: mangleid needs TSO; measured: ECN TSO goes with TSO).
 */
export interface KeySpec {
  key: string;
  members: string[];
  impliedWhenOff?: string[];
}

export function mapKeys(
  desired: Record<string, boolean>,
  known: readonly string[],
  specs: readonly KeySpec[],
): Mapped<[string, boolean]> {
  const entries: [string, boolean][] = [];
  const covered = new Set<string>();
  for (const s of specs) {
    const members = s.members.filter((m) => known.includes(m) || m in desired);
    if (members.length === 0) continue;
    const vals = members.map((m) => desired[m]);
    if (vals.every((v) => v === undefined)) continue;
    const first = vals.find((v) => v !== undefined)!;
    // A key sets all its members: only emit it when that is what the policy wants for all of them.
    if (!members.every((m) => desired[m] === undefined || desired[m] === first)) continue;
    if (!members.every((m) => m in desired)) continue;
    entries.push([s.key, first]);
    for (const m of members) covered.add(m);
    if (!first) for (const m of s.impliedWhenOff ?? []) if (desired[m] === false) covered.add(m);
  }
  const uncovered = Object.keys(desired)
    .filter((k) => !covered.has(k))
    .sort();
  return { entries, covered: [...covered].sort(), uncovered };
}

const TX_CSUM = [
  'tx-checksum-ipv4',
  'tx-checksum-ip-generic',
  'tx-checksum-ipv6',
  'tx-checksum-fcoe-crc',
  'tx-checksum-sctp',
];
const TSO_IMPLIED = ['tx-tcp-ecn-segmentation', 'tx-tcp-mangleid-segmentation'];

/**
 * systemd.link(5) [Link] offload keys as systemd 252 (Debian 12) parses them (link-config-gperf).
 * TCPSegmentationOffload= sets tx-tcp-segmentation only: ECN and mangleid TSO go inactive by
 * dependency but stay requested on (measured with `udevadm test-builtin net_setup_link` on 6.18),
 * and tx-tcp-accecn-segmentation (6.18) stays on. The udev rule rendered alongside sets those
 * explicitly, so the end state equals `ethtool -K IFACE tso off`.
 */
export const SYSTEMD_LINK_KEYS: readonly KeySpec[] = [
  { key: 'ReceiveChecksumOffload', members: ['rx-checksum'] },
  { key: 'TransmitChecksumOffload', members: TX_CSUM },
  { key: 'TCPSegmentationOffload', members: ['tx-tcp-segmentation'] },
  { key: 'TCP6SegmentationOffload', members: ['tx-tcp6-segmentation'] },
  { key: 'UDPSegmentationOffload', members: ['tx-udp-segmentation'] },
  { key: 'GenericSegmentationOffload', members: ['tx-generic-segmentation'] },
  { key: 'GenericReceiveOffload', members: ['rx-gro'] },
  { key: 'GenericReceiveOffloadHardware', members: ['rx-gro-hw'] },
  { key: 'LargeReceiveOffload', members: ['rx-lro'] },
  { key: 'ReceiveVLANCTAGHardwareAcceleration', members: ['rx-vlan-hw-parse'] },
  { key: 'TransmitVLANCTAGHardwareAcceleration', members: ['tx-vlan-hw-insert'] },
  { key: 'ReceiveVLANCTAGFilter', members: ['rx-vlan-filter'] },
  { key: 'TransmitVLANSTAGHardwareAcceleration', members: ['tx-vlan-stag-hw-insert'] },
  { key: 'NTupleFilter', members: ['rx-ntuple-filter'] },
];

/**
 * netplan ethernets offload keys (netplan 0.104+; rendered by netplan into a systemd .link file).
 * ECN/mangleid TSO count as covered when tcp-segmentation-offload is off: they go inactive by
 * dependency (netdev_fix_features), though they stay requested on.
 */
export const NETPLAN_KEYS: readonly KeySpec[] = [
  { key: 'receive-checksum-offload', members: ['rx-checksum'] },
  { key: 'transmit-checksum-offload', members: TX_CSUM },
  { key: 'tcp-segmentation-offload', members: ['tx-tcp-segmentation'], impliedWhenOff: TSO_IMPLIED },
  { key: 'tcp6-segmentation-offload', members: ['tx-tcp6-segmentation'] },
  { key: 'generic-segmentation-offload', members: ['tx-generic-segmentation'] },
  { key: 'generic-receive-offload', members: ['rx-gro'] },
  { key: 'large-receive-offload', members: ['rx-lro'] },
];

/**
 * NetworkManager `ethtool.feature-*` (libnm nm-ethtool-utils.c): short names expand with NM's own
 * fixed tables (feature-tso = tx-tcp, tx-tcp-ecn, tx-tcp-mangleid, tx-tcp6 segmentation), so a bit
 * newer than NM (tx-tcp-accecn-segmentation) is not covered; most kernel names are keys themselves.
 */
export const NM_KEYS: readonly KeySpec[] = [
  {
    key: 'feature-tso',
    members: ['tx-tcp-segmentation', 'tx-tcp-ecn-segmentation', 'tx-tcp-mangleid-segmentation', 'tx-tcp6-segmentation'],
  },
  { key: 'feature-gso', members: ['tx-generic-segmentation'] },
  { key: 'feature-gro', members: ['rx-gro'] },
  { key: 'feature-lro', members: ['rx-lro'] },
  { key: 'feature-sg', members: ['tx-scatter-gather'] },
  { key: 'feature-rx', members: ['rx-checksum'] },
  { key: 'feature-rxvlan', members: ['rx-vlan-hw-parse'] },
  { key: 'feature-txvlan', members: ['tx-vlan-hw-insert'] },
  { key: 'feature-ntuple', members: ['rx-ntuple-filter'] },
  { key: 'feature-rxhash', members: ['rx-hashing'] },
  ...[
    'tx-checksum-ipv4',
    'tx-checksum-ip-generic',
    'tx-checksum-ipv6',
    'tx-checksum-fcoe-crc',
    'tx-checksum-sctp',
    'tx-scatter-gather-fraglist',
    'tx-udp-segmentation',
    'tx-gso-list',
    'tx-gso-partial',
    'tx-gso-robust',
    'tx-gre-segmentation',
    'tx-gre-csum-segmentation',
    'tx-ipxip4-segmentation',
    'tx-ipxip6-segmentation',
    'tx-udp_tnl-segmentation',
    'tx-udp_tnl-csum-segmentation',
    'tx-sctp-segmentation',
    'tx-esp-segmentation',
    'tx-fcoe-segmentation',
    'tx-tunnel-remcsum-segmentation',
    'rx-gro-hw',
    'rx-gro-list',
    'rx-udp-gro-forwarding',
    'rx-vlan-filter',
    'rx-vlan-stag-filter',
    'rx-vlan-stag-hw-parse',
    'tx-vlan-stag-hw-insert',
    'rx-all',
    'rx-fcs',
    'highdma',
    'hw-tc-offload',
    'l2-fwd-offload',
    'loopback',
    'tx-nocache-copy',
    'esp-hw-offload',
    'esp-tx-csum-hw-offload',
    'macsec-hw-offload',
    'tls-hw-record',
    'tls-hw-rx-offload',
    'tls-hw-tx-offload',
    'rx-udp_tunnel-port-offload',
    'fcoe-mtu',
  ].map((k) => ({ key: `feature-${k}`, members: [k] })),
];

/** Features the interface wants, restricted to the ones any mechanism could change (skip empty sets). */
export function hasWishes(desired: Record<string, boolean>): boolean {
  return Object.keys(desired).length > 0;
}

/** A safe file-name part from an interface name or glob. */
export function fileSafe(name: string): string {
  return name
    .replace(/\*/g, 'X')
    .replace(/\?/g, 'Q')
    .replace(/[^A-Za-z0-9_.-]/g, '_');
}
