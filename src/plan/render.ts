import { shortNameOf } from '../policy/short-names.js';
import type { Plan, PlannedChange, Skipped } from './types.js';

/**
 * A feature set in ethtool's short names where every member set has the same value:
 * {tx-tcp-segmentation: false, tx-tcp6-segmentation: false, tx-generic-segmentation: false} →
 * "tso off, gso off". Tables only; commands and JSON keep kernel names (exact).
 */
export function compactSet(set: Record<string, boolean>): string {
  const groups = new Map<string, boolean[]>();
  const out: string[] = [];
  for (const [f, v] of Object.entries(set)) {
    const sn = shortNameOf(f);
    if (sn) (groups.get(sn) ?? groups.set(sn, []).get(sn)!).push(v);
  }
  const done = new Set<string>();
  for (const [f, v] of Object.entries(set)) {
    const sn = shortNameOf(f);
    const vals = sn ? groups.get(sn)! : null;
    if (sn && vals!.every((x) => x === vals![0])) {
      if (!done.has(sn)) out.push(`${sn} ${vals![0] ? 'on' : 'off'}`);
      done.add(sn);
    } else out.push(`${f} ${v ? 'on' : 'off'}`);
  }
  return out.join(', ');
}

/** Quote a word for a POSIX shell when it needs it (interface names may hold almost any byte). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_.@%+=:,/-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** One change as the `ethtool -K` command a human could run instead. */
export function ethtoolCommand(change: Pick<PlannedChange, 'ifname' | 'set'>): string {
  const args = Object.entries(change.set).flatMap(([f, v]) => [shellQuote(f), v ? 'on' : 'off']);
  return ['ethtool', '-K', shellQuote(change.ifname), ...args].join(' ');
}

/**
 * The plan as a shell script a human could run: stages in order, warnings as comments. Running it
 * does what `apply` does, minus the snapshot, verification and rollback.
 */
export function renderCommands(plan: Plan): string {
  const lines: string[] = [];
  let stage = -1;
  for (const c of plan.changes) {
    if (c.stage !== stage) {
      stage = c.stage;
      lines.push(
        stage === 0
          ? '# interfaces without ports'
          : `# stage ${stage}: bridges/bonds after their ports (the kernel recomputes their features from the ports)`,
      );
    }
    for (const w of c.warnings) lines.push(`# ${c.ifname}: ${w}`);
    lines.push(ethtoolCommand(c));
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

export function summarizePlan(plan: Plan): string {
  const n = plan.changes.length;
  const fixed = plan.skipped.filter((s) => s.reason === 'fixed').length;
  const held = plan.skipped.filter((s) => s.reason === 'held').length;
  const parts = [
    n === 0 ? 'nothing to do' : `${n} interface${n === 1 ? '' : 's'} to change`,
    `${plan.compliant.length} already compliant`,
  ];
  if (fixed) parts.push(`${fixed} fixed feature${fixed === 1 ? '' : 's'} skipped`);
  if (held) parts.push(`${held} held off by the kernel`);
  return `policy ${plan.policy}: ${parts.join(', ')}`;
}

/** Skipped features worth a human's attention (not the 'already' ones), one row each. */
export function notableSkips(plan: Plan): Skipped[] {
  return plan.skipped.filter((s) => s.reason !== 'already');
}
