import type { FeatureMap, Interface, Observation } from '../model/types.js';
import { OffloadError } from '../model/errors.js';
import { SHORT_NAMES } from '../policy/short-names.js';
import { formatVm } from './vm.js';
import { ovsJson } from './status-json.js';

/**
 * The `status` view, pure: which interfaces, in which order (ports under their bridge or bond),
 * and the operator's feature columns as ethtool-style aggregates.
 */

export interface StatusViewOptions {
  /** Table: also loopback, and the rarer offload columns. */
  all?: boolean;
}

export interface FeatureColumn {
  head: string;
  /** ethtool short name (policy/short-names.ts): its kernel-name patterns define the aggregate. */
  short: string;
}

export const MAIN_COLUMNS: readonly FeatureColumn[] = [
  { head: 'TSO', short: 'tso' },
  { head: 'GSO', short: 'gso' },
  { head: 'GRO', short: 'gro' },
  { head: 'LRO', short: 'lro' },
  { head: 'SG', short: 'sg' },
  { head: 'TX-CSUM', short: 'tx' },
  { head: 'RX-CSUM', short: 'rx' },
];

export const EXTRA_COLUMNS: readonly FeatureColumn[] = [
  { head: 'RXVLAN', short: 'rxvlan' },
  { head: 'TXVLAN', short: 'txvlan' },
  { head: 'NTUPLE', short: 'ntuple' },
  { head: 'RXHASH', short: 'rxhash' },
];

/** `{"interfaces":[…]}` with exactly the documented keys, every feature the kernel reported. */
export function statusJson(interfaces: readonly Interface[]): { interfaces: unknown[] } {
  return {
    interfaces: interfaces.map((i) => ({
      name: i.name,
      ifindex: i.ifindex,
      kind: i.kind,
      role: i.role,
      master: i.master,
      driver: i.driver,
      mtu: i.mtu,
      operstate: i.operstate,
      vm: i.vm ? { platform: i.vm.platform, id: i.vm.id, name: i.vm.name, nic: i.vm.nic } : null,
      features: i.features,
      ...(i.ovs ? { ovs: ovsJson(i.ovs) } : {}),
    })),
  };
}

function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (const c of glob) {
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(re + '$');
}

/**
 * The interfaces IFACE arguments select, in observation order. A selected bridge or bond brings its
 * ports (recursively). An argument that matches nothing → OffloadError('not-found') (exit 2).
 */
export function selectInterfaces(obs: Observation, select: readonly string[] = []): Interface[] {
  if (select.length === 0) return [...obs.interfaces];
  const chosen = new Set<string>();
  for (const arg of select) {
    const isGlob = /[*?]/.test(arg);
    const re = isGlob ? globToRegExp(arg) : null;
    const hits = obs.interfaces.filter((i) => (re ? re.test(i.name) : i.name === arg));
    if (hits.length === 0) {
      throw new OffloadError('not-found', isGlob ? `no interface matches ${arg}` : `no such interface: ${arg}`, {
        interface: arg,
      });
    }
    for (const h of hits) chosen.add(h.name);
  }
  // Ports of selected masters, to any depth (bond under bridge).
  let grew = true;
  while (grew) {
    grew = false;
    for (const i of obs.interfaces) {
      if (!chosen.has(i.name) && i.master !== null && chosen.has(i.master)) {
        chosen.add(i.name);
        grew = true;
      }
    }
  }
  return obs.interfaces.filter((i) => chosen.has(i.name));
}

/** Order for the table: each interface followed by its ports (depth-first), roots in input order. */
export function treeOrder(interfaces: readonly Interface[]): { iface: Interface; depth: number }[] {
  const names = new Set(interfaces.map((i) => i.name));
  const children = new Map<string, Interface[]>();
  const roots: Interface[] = [];
  for (const i of interfaces) {
    if (i.master !== null && names.has(i.master) && i.master !== i.name) {
      let list = children.get(i.master);
      if (!list) children.set(i.master, (list = []));
      list.push(i);
    } else roots.push(i);
  }
  const out: { iface: Interface; depth: number }[] = [];
  const seen = new Set<string>();
  const visit = (i: Interface, depth: number) => {
    if (seen.has(i.name)) return; // defensive: a master loop cannot happen in the kernel
    seen.add(i.name);
    out.push({ iface: i, depth });
    for (const c of children.get(i.name) ?? []) visit(c, depth + 1);
  };
  for (const r of roots) visit(r, 0);
  for (const i of interfaces) if (!seen.has(i.name)) visit(i, 0);
  return out;
}

function patternRegExp(p: string): RegExp {
  return new RegExp(
    '^' +
      p
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
}

/** Kernel features among `names` that a short name covers (ethtool off_flag_def patterns). */
export function membersOf(short: string, names: readonly string[]): string[] {
  const def = SHORT_NAMES.find((s) => s.short === short);
  const res = (def?.patterns ?? []).map(patternRegExp);
  return names.filter((k) => res.some((r) => r.test(k)));
}

/** Kernel features of `fm` that a short name covers. */
export function featuresOf(short: string, fm: FeatureMap): string[] {
  return membersOf(short, Object.keys(fm));
}

/**
 * Column members per interface, recomputed only when the feature name list changes (every device of
 * one kernel reports the same list, so with 2000 interfaces this runs once, not 14000 times).
 */
function columnMembers(cols: readonly FeatureColumn[]): (fm: FeatureMap) => string[][] {
  let lastKeys: string[] = [];
  let last: string[][] = [];
  return (fm) => {
    const keys = Object.keys(fm);
    if (keys.length !== lastKeys.length || keys.some((k, i) => k !== lastKeys[i])) {
      lastKeys = keys;
      last = cols.map((c) => membersOf(c.short, keys));
    }
    return last;
  };
}

/**
 * Off by default on purpose, so an "off" here is not a partial TSO: mangleid lets TSO rewrite IPv4
 * IDs (NETIF_F_TSO_MANGLEID, opt-in per netdev_features.h).
 */
const OPT_IN = new Set(['tx-tcp-mangleid-segmentation']);

/**
 * One table cell for an aggregate of kernel features, as ethtool reads a short name: "on" if any
 * member is active. Markers:
 * - `on 2/3`: only some of the changeable members are on (fixed-off and opt-in members such as
 *   mangleid are not counted when off).
 * - `[fixed]`: every member is fixed (not in hw_features, or never-change).
 * - `[req on]` / `[req off]`: the request differs from the active state (a dependency holds it, or on a
 *   tap the VM's negotiated offloads: QEMU's TUNSETOFFLOAD).
 * - `-`: the kernel reports none of the members.
 */
export function featureCell(fm: FeatureMap, members: readonly string[]): string {
  if (members.length === 0) return '-';
  let active = 0;
  let counted = 0;
  let fixed = 0;
  let requested = 0;
  for (const m of members) {
    const st = fm[m]!;
    if (st.fixed) fixed++;
    else if (st.requested) requested++;
    if (st.active) active++;
    if (st.active || (!st.fixed && !OPT_IN.has(m))) counted++;
  }
  const isOn = active > 0;
  let cell = !isOn ? 'off' : active < counted ? `on ${active}/${counted}` : 'on';
  const marks: string[] = [];
  if (fixed === members.length) marks.push('fixed');
  else {
    const reqOn = requested > 0;
    if (reqOn !== isOn) marks.push(reqOn ? 'req on' : 'req off');
  }
  if (marks.length) cell += ` [${marks.join(', ')}]`;
  return cell;
}

export interface StatusTable {
  headers: string[];
  rows: string[][];
  /** Explanations for markers that appear in the rows. */
  legend: string[];
}

export function statusTable(interfaces: readonly Interface[], opts: StatusViewOptions = {}): StatusTable {
  const cols = opts.all ? [...MAIN_COLUMNS, ...EXTRA_COLUMNS] : MAIN_COLUMNS;
  const shown = opts.all ? interfaces : interfaces.filter((i) => i.role !== 'loopback');
  const headers = ['NAME', 'ROLE', 'VM', 'MASTER', 'DRIVER', 'MTU', ...cols.map((c) => c.head)];
  const rows: string[][] = [];
  let sawFixed = false;
  let sawReq = false;
  let sawPartial = false;
  const members = columnMembers(cols);
  for (const { iface: i, depth } of treeOrder(shown)) {
    const cells = members(i.features).map((m) => featureCell(i.features, m));
    for (const c of cells) {
      if (c.includes('fixed')) sawFixed = true;
      if (c.includes('req ')) sawReq = true;
      if (/^on \d/.test(c)) sawPartial = true;
    }
    rows.push([
      '  '.repeat(depth) + i.name,
      i.role,
      formatVm(i.vm),
      i.master ?? '-',
      i.driver ?? '-',
      String(i.mtu),
      ...cells,
    ]);
  }
  const legend: string[] = [];
  if (sawFixed) legend.push('[fixed]: the kernel does not allow changing it on this device');
  if (sawReq)
    legend.push(
      '[req on]/[req off]: requested differs from active (a dependency holds it; on a tap, the VM negotiated it away)',
    );
  if (sawPartial) legend.push('on N/M: N of the M changeable kernel features behind this column are on');
  return { headers, rows, legend };
}
