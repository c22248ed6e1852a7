import { FEATURE_CODES, type UiRow, type UiWant } from './types.js';

/**
 * One matrix cell, pure (the page renders it, unit tests check it): an aggregate of kernel features
 * read as ethtool reads a short name ("on" if any member is active), with the marks `status` uses
 * and the compliance with the agent's policy.
 */

export type Compliance =
  /** every wanted member is active as wanted */
  | 'ok'
  /** a wanted member differs and a FEATURES_SET could change it */
  | 'bad'
  /** requested as wanted, the kernel keeps it otherwise (a dependency: netdev_fix_features) */
  | 'held'
  /** a tap: requested as wanted, QEMU set what the guest negotiated (TUNSETOFFLOAD); not fought */
  | 'guest'
  /** differs, but the driver does not let it change */
  | 'fixed'
  /** the policy wants nothing of these features here */
  | 'none'
  /** the kernel reports none of the members */
  | 'absent';

export interface Cell {
  text: string;
  /** ethtool's aggregate: true if any member is active; null when no member exists. */
  active: boolean | null;
  marks: string[];
  compliance: Compliance;
  /** Hover text: what is wanted, by which rule, and per member what differs. */
  title: string;
}

interface St {
  active: boolean;
  requested: boolean;
  fixed: boolean;
}

export function decode(code: string): St | null {
  const c = FEATURE_CODES.indexOf(code);
  if (c < 0) return null;
  return { active: (c & 4) !== 0, requested: (c & 2) !== 0, fixed: (c & 1) !== 0 };
}

/** Off by default on purpose (NETIF_F_TSO_MANGLEID is opt-in): an "off" here is not a partial TSO. */
const OPT_IN = new Set(['tx-tcp-mangleid-segmentation']);

/** Taps carry what the guest negotiated: requested ≠ active there is the guest's, not a dependency. */
export function isGuestPort(row: Pick<UiRow, 'role' | 'kind'>): boolean {
  return row.role === 'vm-port' || row.kind === 'tun' || row.kind === 'macvtap';
}

const RANK: Record<Compliance, number> = { absent: 0, none: 0, ok: 1, fixed: 2, held: 3, guest: 3, bad: 4 };

export function matrixCell(
  row: Pick<UiRow, 'role' | 'kind' | 'codes'>,
  features: readonly string[],
  members: readonly number[],
  want: UiWant | null,
  rules: readonly string[],
  head = '',
): Cell {
  let active = 0;
  let counted = 0;
  let fixed = 0;
  let requested = 0;
  let present = 0;
  let changeable = 0;
  let compliance: Compliance = 'none';
  const wantedBy = new Map<string, string[]>();
  const notes: string[] = [];
  const guest = isGuestPort(row);
  for (const m of members) {
    const name = features[m]!;
    const st = decode(row.codes[m] ?? '-');
    if (!st) continue;
    present++;
    if (st.fixed) fixed++;
    else {
      changeable++;
      if (st.requested) requested++;
    }
    if (st.active) active++;
    if (st.active || (!st.fixed && !OPT_IN.has(name))) counted++;
    const w = want?.[name];
    if (!w) continue;
    const value = w[0] === 1;
    const rule = rules[w[1]] ?? `rule ${w[1]}`;
    const key = `${value ? 'on' : 'off'} by ${rule}`;
    let list = wantedBy.get(key);
    if (!list) wantedBy.set(key, (list = []));
    list.push(name);
    let c: Compliance;
    if (st.active === value) c = 'ok';
    else if (st.fixed) c = 'fixed';
    else if (st.requested === value) c = guest ? 'guest' : 'held';
    else c = 'bad';
    if (c !== 'ok')
      notes.push(
        `${name}: active ${st.active ? 'on' : 'off'}, requested ${st.requested ? 'on' : 'off'}${st.fixed ? ' [fixed]' : ''} (${c === 'guest' ? "held by the guest's negotiation" : c === 'held' ? 'held by a dependency' : c === 'fixed' ? 'cannot change' : 'deviates'})`,
      );
    if (RANK[c] > RANK[compliance] || compliance === 'none') compliance = c;
  }
  if (present === 0)
    return {
      text: '-',
      active: null,
      marks: [],
      compliance: 'absent',
      title: `${head}: the kernel reports none of these features here`,
    };
  const isOn = active > 0;
  const text = !isOn ? 'off' : active < counted ? `on ${active}/${counted}` : 'on';
  const marks: string[] = [];
  if (fixed === present) marks.push('fixed');
  else if (requested > 0 !== isOn)
    marks.push(guest ? `guest (req ${requested > 0 ? 'on' : 'off'})` : `req ${requested > 0 ? 'on' : 'off'}`);
  const lines: string[] = [];
  if (wantedBy.size === 0) lines.push(`${head}: the policy wants nothing here`);
  for (const [key, names] of wantedBy) lines.push(`${head} wanted ${key}: ${names.join(', ')}`);
  lines.push(...notes);
  return { text, active: isOn, marks, compliance, title: lines.join('\n') };
}
