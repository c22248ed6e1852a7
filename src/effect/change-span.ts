import { OffloadError } from '../model/errors.js';
import type { SnapshotStore } from '../apply/store.js';
import { currentNetns } from '../apply/store.js';
import type { ChangeSpan } from './analyze.js';
import type { ChangeMark, Recording } from './types.js';

/** Marks closer than this to each other belong to one change (an apply of 2,000 ports takes ~0.2 s). */
const CLUSTER_MS = 2000;

/**
 * The span of an apply (or a restore) from its snapshot's journal: from the first `intent` (written
 * just before the first FEATURES_SET) to `end`/the last `done` — or `restored`, for a restore.
 */
export function changeFromSnapshot(store: SnapshotStore, idOrLast: string): ChangeSpan {
  const id = idOrLast === 'last' ? store.last(currentNetns()) : idOrLast;
  if (!id) throw new OffloadError('not-found', `no snapshot in ${store.dir} for this network namespace`);
  const snap = store.read(id);
  const entries = store.entries(id);
  const at = (s: string) => Date.parse(s);
  const intents = entries.filter((e) => e.op === 'intent');
  const done = entries.filter((e) => e.op === 'done');
  const end = entries.find((e) => e.op === 'end');
  const changed = new Set<string>();
  for (const d of done) if (d.op === 'done') for (const n of d.changed) changed.add(n);
  const start = intents[0] ? at(intents[0].at) : at(snap.createdAt);
  const stop = end ? at(end.at) : done.length ? at(done[done.length - 1]!.at) : start;
  return { start, end: Math.max(start, stop), source: 'apply', id, interfaces: [...changed].sort() };
}

/** The span of the restore of snapshot `id` (its `restored` entry), when it was restored. */
export function restoreFromSnapshot(store: SnapshotStore, id: string): ChangeSpan | null {
  const r = store.entries(id).find((e) => e.op === 'restored');
  if (!r) return null;
  const t = Date.parse(r.at);
  return { start: t, end: t, source: 'restore', id, interfaces: store.read(id).interfaces.map((i) => i.name) };
}

/** The cluster of marks around `mark`: marks within CLUSTER_MS of each other form one change. */
function clusterAround(marks: readonly ChangeMark[], index: number): ChangeSpan {
  const sorted = marks;
  let lo = index;
  let hi = index;
  while (lo > 0 && sorted[lo]!.at - sorted[lo - 1]!.at <= CLUSTER_MS) lo--;
  while (hi < sorted.length - 1 && sorted[hi + 1]!.at - sorted[hi]!.at <= CLUSTER_MS) hi++;
  const group = sorted.slice(lo, hi + 1);
  const names = new Set(group.flatMap((m) => m.interfaces));
  return {
    start: group[0]!.at,
    end: group[group.length - 1]!.at,
    source: group[0]!.source,
    id: group.find((m) => m.id)?.id,
    interfaces: [...names].sort(),
  };
}

/** The last change the recording marked, or null when it marked none. */
export function lastMarkedChange(rec: Recording): ChangeSpan | null {
  const marks = [...rec.marks].sort((a, b) => a.at - b.at);
  return marks.length ? clusterAround(marks, marks.length - 1) : null;
}

/**
 * A change at a given time: the marked change that contains or is nearest to it within
 * CLUSTER_MS, else an instant with unknown interfaces.
 */
export function changeAtTime(rec: Recording | null, at: number): ChangeSpan {
  const marks = [...(rec?.marks ?? [])].sort((a, b) => a.at - b.at);
  let best = -1;
  for (let i = 0; i < marks.length; i++) {
    if (
      Math.abs(marks[i]!.at - at) <= CLUSTER_MS &&
      (best < 0 || Math.abs(marks[i]!.at - at) < Math.abs(marks[best]!.at - at))
    )
      best = i;
  }
  return best >= 0 ? clusterAround(marks, best) : { start: at, end: at, source: 'time', interfaces: null };
}

/** `--at`: an ISO 8601 time, or seconds since the epoch. */
export function parseTime(text: string): number {
  const t = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  if (!Number.isFinite(t))
    throw new OffloadError(
      'usage',
      `bad time "${text}": use ISO 8601 (2026-12-06T15:04:05Z) or seconds since the epoch`,
    );
  return t;
}
