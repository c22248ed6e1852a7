import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_RECORD_SUFFIX, agentRecordDir } from './first-change-record.js';
import { decodeSnapshot, recordedFeatures, SnapshotRecorder, SNAPSHOT_FORMAT } from './snapshot-codec.js';
import { sameNetns, type NetnsIdentity, type SnapshotStore } from './store.js';
import type { FeatureMap } from '../model/types.js';
import type { Snapshot, SnapshotInterface } from './types.js';

/** A line of an agent run's record: a snapshot, or the mark that restore --agent restored all before it. */
type RecordLine = Snapshot | { op: 'restored'; at: string };

/**
 * Everything the agent recorded in this namespace and nobody restored yet (the lines after the last
 * "restored" mark of each run's record, apply/first-change-record.ts), as one snapshot: per
 * interface (name and ifindex) its OLDEST record, i.e. its state before the agent first changed it
 * (a restarted agent records the state its predecessor left: that record is newer and not used).
 * `sources`: the record files it came from (restore --agent marks them restored).
 */
export function agentSnapshot(
  store: SnapshotStore,
  here: NetnsIdentity,
  recordDir: string = agentRecordDir(store.stateDir),
): { snapshot: Snapshot; sources: string[] } | null {
  const sources: string[] = [];
  const seen = new Set<string>();
  const recorder = new SnapshotRecorder();
  const interfaces: SnapshotInterface[] = [];
  let head: Snapshot | null = null;
  let policy = '';
  for (const file of recordFiles([...new Set([store.dir, recordDir])])) {
    const lines = recordLines(readFileSync(file, 'utf8'));
    let from = 0;
    lines.forEach((l, i) => {
      if ('op' in l && l.op === 'restored') from = i + 1;
    });
    let used = false;
    for (const line of lines.slice(from)) {
      if ('op' in line) continue;
      let snap: Snapshot;
      try {
        snap = decodeSnapshot(JSON.stringify(line));
      } catch {
        continue; // not a snapshot line (a newer format?): nothing this reader can restore
      }
      if (snap.by !== 'agent' || !sameNetns(snap, here)) continue;
      used = true;
      head ??= snap;
      policy = snap.policy;
      for (const s of snap.interfaces) {
        const key = `${s.ifindex}\0${s.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const features: FeatureMap = {};
        for (const r of recordedFeatures(snap, s))
          features[r.name] = { requested: r.requested, active: r.active, fixed: false };
        interfaces.push(recorder.record(s, features, s.stage));
      }
    }
    if (used) sources.push(file);
  }
  if (!head) return null;
  recorder.finish(interfaces);
  return {
    snapshot: {
      version: SNAPSHOT_FORMAT,
      id: 'agent',
      createdAt: head.createdAt,
      policy,
      by: 'agent',
      netns: head.netns,
      netnsId: head.netnsId ?? null,
      netnsHost: head.netnsHost ?? null,
      features: recorder.features,
      interfaces,
    },
    sources,
  };
}

/** The lines of a record; a garbled one (torn by a crash) is skipped, the rest still count. */
function recordLines(text: string): RecordLine[] {
  const out: RecordLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as RecordLine);
    } catch {
      /* torn */
    }
  }
  return out;
}

/** Mark the records of `sources` restored (a running agent's later lines stay restorable). */
export function markAgentRestored(sources: readonly string[], at = new Date().toISOString()): void {
  for (const file of sources) {
    // on a line of its own even after a torn last line
    const fd = openSync(file, 'a', 0o600);
    try {
      writeSync(fd, `\n${JSON.stringify({ op: 'restored', at })}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** The agent runs' record files in `dirs`, oldest run first (their names start with the run's id, which sorts by time). */
function recordFiles(dirs: readonly string[]): string[] {
  const files: { name: string; path: string }[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      if (f.endsWith(AGENT_RECORD_SUFFIX) && !f.startsWith('.')) files.push({ name: f, path: join(dir, f) });
    }
  }
  return files.sort((a, b) => a.name.localeCompare(b.name)).map((f) => f.path);
}
