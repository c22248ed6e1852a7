import picomatch from 'picomatch';
import type { VmPlatform } from '../model/types.js';
import type { Coverage, PersistInterface, PersistTarget, VmPortScheme } from './types.js';
import { perVm } from './inputs.js';

/**
 * `persist --check` (pure): for every interface the policy selects, which installed mechanism
 * re-applies it at boot and at VM start, and the gaps. Interfaces that exist at boot need a boot
 * mechanism; VM ports (and every VM-port naming scheme the policy selects, whether a VM runs now or
 * not) need a VM-start mechanism. Features no installed mechanism sets are gaps too.
 *
 * A mechanism is credited only for what it can see:
 * - udev (and the .link files udev's net_setup_link applies) runs in the host's network namespace
 *   and never sees devices of another one (`--netns`);
 * - libvirt's qemu hook runs for libvirt domains only: libvirt's own ports (vnetN, macvtapN) and
 *   taps a domain XML names — never Xen vif<domid>.<n>, Proxmox tap<vmid>i<n> or OpenStack ports;
 * - the agent (an installed offloadctl-agent.service in enforce mode, with the same policy) covers
 *   every interface in its namespace, at boot and at VM start, and every feature.
 * Per row, `holds` says whether a covering mechanism KEEPS the setting (the agent re-enforces it
 * after QEMU's TUNSETOFFLOAD rewrote a tap's TSO/checksum bits when the guest negotiated) or only
 * SETS IT ONCE (udev, the libvirt hook and the boot mechanisms, when the device appears).
 */
export type CheckMechanism = PersistTarget | 'agent';

/** Whether a mechanism keeps a setting or applies it once (see above). */
export const HOLDS: Readonly<Record<CheckMechanism, 'kept' | 'set-once'>> = {
  agent: 'kept',
  udev: 'set-once',
  'libvirt-hook': 'set-once',
  'libvirt-xml': 'set-once',
  'systemd-link': 'set-once',
  netplan: 'set-once',
  networkmanager: 'set-once',
  ifupdown: 'set-once',
  tuned: 'set-once',
  // XAPI re-applies a VIF's/PIF's other-config:ethtool-* at each plug (VM start, migration): once per plug.
  xapi: 'set-once',
};

export interface InstalledTarget {
  target: CheckMechanism;
  coverage: Coverage[];
  /** Files missing or changed since install (shown). */
  problems: string[];
  /** Those files: coverage depending on them is not counted (all of the target's when files is unset). */
  badFiles?: string[];
  /** The whole target does not count (e.g. tuned profile not active). */
  whole?: boolean;
}

/** Where the check runs: the host's own network namespace, or another one (`--netns NAME`). */
export interface CheckPlace {
  /** true: the host's namespace (that of PID 1); false: another; null: unknown. */
  host: boolean | null;
  /** `--netns` name, null when none. */
  netns: string | null;
}

/** The installed agent unit, as far as the check needs it (persist/agent-unit.ts). */
export interface AgentMechanism {
  path: string;
  mode: 'enforce' | 'report';
  /** It enforces the policy being checked. */
  samePolicy: boolean;
  /** The namespace it runs in (`offloadctl --netns NS agent`), null: the host's. */
  netns: string | null;
}

export interface CheckRow {
  /** Interface name, or the naming-scheme glob for future VM ports. */
  interface: string;
  role: string;
  boot: CheckMechanism[];
  vmStart: CheckMechanism[];
  gaps: string[];
  caveats: string[];
  /**
   * For the moment that matters (boot, or VM start for VM ports): 'kept' when a covering mechanism
   * re-enforces the setting (the agent), 'set-once' when they only apply it as the device appears
   * (a tap's TSO then comes back when QEMU applies what the guest negotiated), null: not covered.
   */
  holds: 'kept' | 'set-once' | null;
}

export interface CheckReport {
  rows: CheckRow[];
  /** Problems of installed targets (files changed or missing). */
  problems: string[];
  /** Installed mechanisms not credited, and why (another namespace, report mode, another policy). */
  notes: string[];
  /** Per installed mechanism: does it keep a setting or set it once. */
  mechanisms: { target: CheckMechanism; holds: 'kept' | 'set-once'; credited: boolean }[];
  gaps: number;
}

interface RowKey {
  name: string;
  kind: string | null;
  /** The VM platform the row's ports belong to, null when unknown (any tun/tap). */
  platform: VmPlatform | null;
}

function matches(c: Coverage, row: RowKey): boolean {
  if (c.match === '*') return true;
  if (c.match === 'kind:tun') return row.kind === 'tun';
  return c.match === row.name || picomatch.isMatch(row.name, c.match, { dot: true });
}

/**
 * libvirt's qemu hook acts on the devices a libvirt domain XML lists: libvirt's ports, or a tap of
 * unknown origin (a name the XML gave). Never another platform's (its hook is never called for them).
 */
function hookSees(row: RowKey): boolean {
  return row.platform === 'libvirt' || (row.platform === null && (row.kind === 'tun' || row.kind === 'macvtap'));
}

/** The host's namespace, or not known to be another one. */
const inHostNetns = (p: CheckPlace) => p.host === true || (p.host === null && p.netns === null);

export function checkCoverage(
  ifaces: readonly PersistInterface[],
  schemes: readonly VmPortScheme[],
  installedFiles: readonly InstalledTarget[],
  place: CheckPlace = { host: true, netns: null },
  agent: AgentMechanism | null = null,
): CheckReport {
  const notes: string[] = [];
  const installed: InstalledTarget[] = installedFiles.filter((t) => {
    if ((t.target === 'udev' || t.target === 'systemd-link') && !inHostNetns(place)) {
      notes.push(
        `${t.target}: not credited here: udev sees the devices of the host's network namespace only, not ${place.netns ? `namespace ${place.netns}` : 'this one'}`,
      );
      return false;
    }
    return true;
  });
  if (agent) {
    const where = agent.netns === null ? inHostNetns(place) : agent.netns === place.netns;
    if (agent.mode !== 'enforce')
      notes.push(`agent: ${agent.path} runs in report mode: it changes nothing, not credited`);
    else if (!agent.samePolicy)
      notes.push(`agent: ${agent.path} enforces another policy than the one checked: not credited`);
    else if (!where)
      notes.push(
        `agent: ${agent.path} runs in ${agent.netns ? `namespace ${agent.netns}` : "the host's namespace"}, not here: not credited`,
      );
    else {
      installed.push({
        target: 'agent',
        problems: [],
        coverage: (['boot', 'vm-start'] as const).map((when) => ({
          match: '*',
          when,
          covered: [],
          uncovered: [],
          all: true,
        })),
      });
    }
  }
  const usable = installed
    .filter((t) => !t.whole)
    .map((t) => {
      const bad = new Set(t.badFiles ?? (t.problems.length ? ['*'] : []));
      const ok = (c: Coverage) =>
        bad.size === 0 || (c.files !== undefined && !bad.has('*') && c.files.every((f) => !bad.has(f)));
      return { target: t.target, coverage: t.coverage.filter(ok) };
    });
  // Problems of every installed target, credited here or not: its files are wrong either way.
  const problems = installedFiles.flatMap((t) => t.problems.map((p) => `${t.target}: ${p}`));
  const rows: CheckRow[] = [];
  const rowFor = (row: RowKey, role: string, desired: Record<string, boolean>, need: 'boot' | 'vm-start') => {
    const boot: CheckMechanism[] = [];
    const vmStart: CheckMechanism[] = [];
    const covered = new Set<string>();
    const caveats = new Set<string>();
    for (const t of usable) {
      if (t.target === 'libvirt-hook' && !hookSees(row)) continue;
      for (const c of t.coverage) {
        if (!matches(c, row)) continue;
        (c.when === 'boot' ? boot : vmStart).includes(t.target) || (c.when === 'boot' ? boot : vmStart).push(t.target);
        if (c.when === need) {
          for (const f of c.all ? Object.keys(desired) : c.covered) if (!c.uncovered.includes(f)) covered.add(f);
          for (const cv of c.caveats ?? []) caveats.add(`${t.target}: ${cv}`);
        }
      }
    }
    const gaps: string[] = [];
    const mech = need === 'boot' ? boot : vmStart;
    if (mech.length === 0) {
      gaps.push(
        need === 'boot' ? 'nothing re-applies the policy at boot' : 'nothing applies the policy when a VM starts',
      );
    } else {
      const missing = Object.keys(desired)
        .filter((f) => !covered.has(f))
        .sort();
      if (missing.length) gaps.push(`not set by any installed mechanism: ${missing.join(', ')}`);
    }
    const holds = mech.length === 0 ? null : mech.some((m) => HOLDS[m] === 'kept') ? 'kept' : 'set-once';
    rows.push({ interface: row.name, role, boot, vmStart, gaps, caveats: [...caveats], holds });
  };
  for (const i of ifaces)
    rowFor(
      { name: i.name, kind: i.kind, platform: i.vm?.platform ?? null },
      i.role,
      i.desired,
      perVm(i) ? 'vm-start' : 'boot',
    );
  for (const s of schemes) {
    if (Object.keys(s.desired).length === 0) continue;
    const probe = s.glob ?? 'kind:tun';
    rowFor(
      { name: probe, kind: s.glob === null ? 'tun' : null, platform: s.platform ?? null },
      `future VM ports: ${s.label}`,
      s.desired,
      'vm-start',
    );
  }
  const credited = new Set(usable.map((t) => t.target));
  const mechanisms = [...new Set([...installedFiles.map((t) => t.target), ...(agent ? ['agent' as const] : [])])].map(
    (target) => ({
      target,
      holds: HOLDS[target],
      credited: credited.has(target),
    }),
  );
  return { rows, problems, notes, mechanisms, gaps: rows.reduce((n, r) => n + r.gaps.length, 0) + problems.length };
}
