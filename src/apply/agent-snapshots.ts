import { recordedFeatures, SnapshotRecorder, SNAPSHOT_FORMAT } from './snapshot-codec.js';
import { sameNetns, type NetnsIdentity, type SnapshotStore } from './store.js';
import type { FeatureMap } from '../model/types.js';
import type { Snapshot, SnapshotInterface } from './types.js';

/**
 * Everything the agent recorded in this namespace and nobody restored yet, as one snapshot: per
 * interface (name and ifindex) its OLDEST record, i.e. its state before the agent first changed
 * it (a restarted agent records the state its predecessor left: that record is newer and not used).
 * `sources`: the agent snapshots it came from (restore marks them restored).
 */
export function agentSnapshot(store: SnapshotStore, here: NetnsIdentity): { snapshot: Snapshot; sources: string[] } | null {
  const sources: string[] = [];
  const seen = new Set<string>();
  const recorder = new SnapshotRecorder();
  const interfaces: SnapshotInterface[] = [];
  let createdAt = '';
  let policy = '';
  let head: Snapshot | null = null;
  for (const id of store.ids()) {
    const snap = store.read(id);
    if (snap.by !== 'agent' || !sameNetns(snap, here) || store.summary(id).status === 'restored') continue;
    sources.push(id);
    head ??= snap;
    createdAt ||= snap.createdAt;
    policy = snap.policy;
    for (const s of snap.interfaces) {
      const key = `${s.ifindex}\0${s.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const features: FeatureMap = {};
      for (const r of recordedFeatures(snap, s)) features[r.name] = { requested: r.requested, active: r.active, fixed: false };
      interfaces.push(recorder.record(s, features, s.stage));
    }
  }
  if (!head) return null;
  recorder.finish(interfaces);
  return {
    snapshot: {
      version: SNAPSHOT_FORMAT,
      id: 'agent',
      createdAt,
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
