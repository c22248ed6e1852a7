import { compareAroundChange, type EffectReport } from './analyze.js';
import { ROW_WIDTH, type Recording } from './types.js';
import type { ChangeSpan } from './analyze.js';

const CLUSTER_MS = 2000;

/** Every marked change of a recording, oldest first (marks closer than 2 s form one change). */
export function markedChanges(rec: Recording): ChangeSpan[] {
  const marks = [...rec.marks].sort((a, b) => a.at - b.at);
  const out: ChangeSpan[] = [];
  for (const m of marks) {
    const last = out[out.length - 1];
    if (last && m.at - last.end <= CLUSTER_MS) {
      last.end = m.at;
      last.interfaces = [...new Set([...(last.interfaces ?? []), ...m.interfaces])].sort();
      last.id ??= m.id;
    } else out.push({ start: m.at, end: m.at, source: m.source, id: m.id, interfaces: [...m.interfaces].sort() });
  }
  return out;
}

/**
 * What the recordings measured around each change they marked (the most recent `limit`), for the
 * doctor: only comparisons that came to a verdict about traffic (changed or no-difference).
 */
export function measuredEffects(
  recs: readonly Recording[],
  o: { windowMs: number; settleMs: number; limit: number },
): EffectReport[] {
  const out: EffectReport[] = [];
  for (const rec of recs) {
    for (const span of markedChanges(rec)) {
      const r = compareAroundChange(rec, span, { windowMs: o.windowMs, settleMs: o.settleMs });
      if (r.verdict === 'changed' || r.verdict === 'no-difference') out.push(r);
    }
  }
  return out.sort((a, b) => a.change.start.localeCompare(b.change.start)).slice(-o.limit);
}

/** Interfaces a recording saw traffic on (for tests and diagnostics). */
export function busyInterfaces(rec: Recording): string[] {
  const seen = new Set<number>();
  for (const s of rec.samples) for (let i = 0; i < s.rows.length; i += ROW_WIDTH) seen.add(s.rows[i]!);
  return [...seen].map((i) => rec.names[i]!).sort();
}
