/** apply (snapshot → journal → change → verify → roll back), restore, and the snapshot store. */
export { applyPlan, verify, buildSnapshot, type ApplyOptions } from './apply.js';
export {
  SnapshotRecorder,
  recordedFeatures,
  encodeSnapshot,
  decodeSnapshot,
  SNAPSHOT_FORMAT,
} from './snapshot-codec.js';
export { restoreSnapshot, type RestoreOptions } from './restore.js';
export { SnapshotStore, DEFAULT_STATE_DIR, statusOf, currentNetns, sameNetns, type NetnsIdentity } from './store.js';
export { observeAndPlan, checkGlobs, type PlanInput, type Planned } from './pipeline.js';
export type * from './types.js';
