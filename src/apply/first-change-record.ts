import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FeatureMap, Interface } from '../model/types.js';
import { SnapshotRecorder, encodeSnapshot, SNAPSHOT_FORMAT } from './snapshot-codec.js';
import { currentNetns, SnapshotStore } from './store.js';
import type { Snapshot } from './types.js';

/** One interface about to be changed for the first time, with the features it has now. */
export interface FirstChange {
  iface: Pick<Interface, 'name' | 'ifindex' | 'role' | 'master'>;
  features: FeatureMap;
  /** Restore order: ports (0) before the bridges and bonds they belong to (1). */
  stage: number;
}

/**
 * What a long-running enforcer (the agent) found before it first changed each interface, in apply's
 * snapshot store and format (STATE_DIR/snapshots/ID.json, `by: "agent"`), so `restore --agent`
 * returns every interface it touched to its state before it. Each call to `record` writes one
 * snapshot of the interfaces not recorded before (those of one batch), before the caller changes
 * them.
 *
 * Written, not fsynced: the record must outlive the agent (a crash, SIGKILL, OOM): a write is in
 * the page cache when it returns, and that survives the process. What fsync adds is surviving a
 * power loss, after which no interface keeps a feature setting to restore (the kernel's netdev
 * features are not persistent), while an fsync per batch (milliseconds on a disk) would sit in the delay of
 * every new VM port. The file appears complete or not at all (written aside, then renamed).
 */
export class FirstChangeRecord {
  private readonly recorded = new Set<number>();
  private readonly dir: string;
  private readonly netns = currentNetns();

  constructor(stateDir: string) {
    this.dir = new SnapshotStore(stateDir).dir;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Record the interfaces of `changes` seen for the first time; returns the snapshot id, or null when none was new. */
  record(changes: readonly FirstChange[], policy: string): string | null {
    const fresh = changes.filter((c) => !this.recorded.has(c.iface.ifindex));
    if (fresh.length === 0) return null;
    const recorder = new SnapshotRecorder();
    const interfaces = fresh.map((c) => recorder.record(c.iface, c.features, c.stage));
    recorder.finish(interfaces);
    const snapshot: Snapshot = {
      version: SNAPSHOT_FORMAT,
      id: SnapshotStore.newId(),
      createdAt: new Date().toISOString(),
      policy,
      by: 'agent',
      netns: this.netns.name,
      netnsId: this.netns.id,
      netnsHost: this.netns.host,
      features: recorder.features,
      interfaces,
    };
    const path = join(this.dir, `${snapshot.id}.json`);
    const tmp = join(this.dir, `.${snapshot.id}.json.tmp-${process.pid}`);
    writeFileSync(tmp, encodeSnapshot(snapshot), { mode: 0o600 });
    renameSync(tmp, path);
    for (const c of fresh) this.recorded.add(c.iface.ifindex);
    return snapshot.id;
  }

  /** The interface is gone: forget it (a new device never reuses a live ifindex). */
  forget(ifindex: number): void {
    this.recorded.delete(ifindex);
  }
}
