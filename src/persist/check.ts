import picomatch from 'picomatch';
import type { Coverage, PersistInterface, PersistTarget, VmPortScheme } from './types.js';
import { perVm } from './inputs.js';

/**
 * `persist --check` (pure): for every interface the policy selects, which installed mechanism
 * re-applies it at boot and at VM start, and the gaps. Interfaces that exist at boot need a boot
 * mechanism; VM ports (and every VM-port naming scheme the policy selects, whether a VM runs now or
 * not) need a VM-start mechanism. Features no installed mechanism sets are gaps too.
 */
export interface InstalledTarget {
  target: PersistTarget;
  coverage: Coverage[];
  /** Files missing or changed since install (shown). */
  problems: string[];
  /** Those files: coverage depending on them is not counted (all of the target's when files is unset). */
  badFiles?: string[];
  /** The whole target does not count (e.g. tuned profile not active). */
  whole?: boolean;
}

export interface CheckRow {
  /** Interface name, or the naming-scheme glob for future VM ports. */
  interface: string;
  role: string;
  boot: PersistTarget[];
  vmStart: PersistTarget[];
  gaps: string[];
  caveats: string[];
}

export interface CheckReport {
  rows: CheckRow[];
  /** Problems of installed targets (files changed or missing). */
  problems: string[];
  gaps: number;
}

function matches(c: Coverage, name: string, kind: string | null): boolean {
  if (c.match === 'kind:tun') return kind === 'tun';
  return c.match === name || picomatch.isMatch(name, c.match, { dot: true });
}

export function checkCoverage(
  ifaces: readonly PersistInterface[],
  schemes: readonly VmPortScheme[],
  installed: readonly InstalledTarget[],
): CheckReport {
  const usable = installed
    .filter((t) => !t.whole)
    .map((t) => {
      const bad = new Set(t.badFiles ?? (t.problems.length ? ['*'] : []));
      const ok = (c: Coverage) => bad.size === 0 || (c.files !== undefined && !bad.has('*') && c.files.every((f) => !bad.has(f)));
      return { target: t.target, coverage: t.coverage.filter(ok) };
    });
  const problems = installed.flatMap((t) => t.problems.map((p) => `${t.target}: ${p}`));
  const rows: CheckRow[] = [];
  const rowFor = (name: string, role: string, kind: string | null, desired: Record<string, boolean>, need: 'boot' | 'vm-start') => {
    const boot: PersistTarget[] = [];
    const vmStart: PersistTarget[] = [];
    const covered = new Set<string>();
    const caveats = new Set<string>();
    for (const t of usable) {
      for (const c of t.coverage) {
        if (!matches(c, name, kind)) continue;
        (c.when === 'boot' ? boot : vmStart).includes(t.target) || (c.when === 'boot' ? boot : vmStart).push(t.target);
        if (c.when === need) {
          for (const f of c.covered) if (!c.uncovered.includes(f)) covered.add(f);
          for (const cv of c.caveats ?? []) caveats.add(`${t.target}: ${cv}`);
        }
      }
    }
    const gaps: string[] = [];
    const mech = need === 'boot' ? boot : vmStart;
    if (mech.length === 0) {
      gaps.push(need === 'boot' ? 'nothing re-applies the policy at boot' : 'nothing applies the policy when a VM starts');
    } else {
      const missing = Object.keys(desired).filter((f) => !covered.has(f)).sort();
      if (missing.length) gaps.push(`not set by any installed mechanism: ${missing.join(', ')}`);
    }
    rows.push({ interface: name, role, boot, vmStart, gaps, caveats: [...caveats] });
  };
  for (const i of ifaces) rowFor(i.name, i.role, i.kind, i.desired, perVm(i) ? 'vm-start' : 'boot');
  for (const s of schemes) {
    if (Object.keys(s.desired).length === 0) continue;
    const probe = s.glob ?? 'kind:tun';
    rowFor(probe, `future VM ports: ${s.label}`, s.glob === null ? 'tun' : null, s.desired, 'vm-start');
  }
  return { rows, problems, gaps: rows.reduce((n, r) => n + r.gaps.length, 0) + problems.length };
}
