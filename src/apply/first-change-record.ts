import { closeSync, ftruncateSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FeatureMap, Interface } from '../model/types.js';
import { SnapshotRecorder, SNAPSHOT_FORMAT } from './snapshot-codec.js';
import { currentNetns, SnapshotStore } from './store.js';
import { APPEND_NEW, checkStateDir, openStateFile } from './state-dir.js';
import type { Snapshot, SnapshotInterface } from './types.js';

/** A FeatureMap's recorded part, encoded once (snapshot-codec.ts: the table and the three bitmaps). */
interface EncodedMap {
  features: string[];
  recorded: string;
  requested: string;
  active: string;
}

/** One interface about to be changed for the first time, with the features it has now. */
export interface FirstChange {
  iface: Pick<Interface, 'name' | 'ifindex' | 'role' | 'master'>;
  features: FeatureMap;
  /** Restore order: ports (0) before the bridges and bonds they belong to (1). */
  stage: number;
}

/**
 * Where an agent run records the state before its first changes. For a system state directory
 * (/var/lib/NAME) that is /run/NAME/agent: tmpfs, which lives exactly as long as the interfaces'
 * feature settings do (both end at reboot), and a write there never waits on a filesystem journal
 * (on ext4 every append also dirties the inode's mtime in the journal: measured, the p99 delay of a
 * 500-port burst at SCHED_FIFO 1 went from 3.5 to 11–16 ms with the record in /var/lib). Any other
 * state directory (tests, --state-dir elsewhere) keeps its records in STATE_DIR/snapshots/.
 * `restore --agent` reads both places.
 */
export function agentRecordDir(stateDir: string): string {
  const m = /^\/var\/lib\/([^/]+)\/?$/.exec(stateDir);
  return m ? `/run/${m[1]}/agent` : new SnapshotStore(stateDir).dir;
}

/** File name suffix of an agent run's record in STATE_DIR/snapshots/ (apply's snapshots end in .json). */
export const AGENT_RECORD_SUFFIX = '.agent.jsonl';

/**
 * What a long-running enforcer (the agent) found before it first changed each interface, in apply's
 * snapshot store (STATE_DIR/snapshots/) and snapshot format, so `restore --agent` returns every
 * interface it touched to its state before it. One file per agent run, RUNID.agent.jsonl: each
 * `record` appends one line, a format-2 snapshot (`by: "agent"`) of the interfaces changed for the
 * first time in that batch, before the caller changes them; `restore --agent` appends
 * {"op":"restored"} lines (apply/agent-snapshots.ts).
 *
 * Appended, not fsynced: the record must outlive the agent (a crash, SIGKILL, OOM), and a write is
 * in the page cache when it returns, which survives the process. What fsync adds is surviving a
 * power loss, after which no interface keeps a feature setting to restore (netdev features are not
 * persistent), while an fsync — or a new file — per batch would sit in the delay of every new VM
 * port. A line torn by a crash is ignored when read; its interfaces had not been changed yet.
 */
export class FirstChangeRecord {
  private readonly recorded = new Set<number>();
  private readonly dir: string;
  private readonly runId = SnapshotStore.newId();
  private readonly netns = currentNetns();
  private fd: number | null = null;
  /** Bytes in the record file (this run's own, opened O_EXCL: nobody else appends). */
  private size = 0;
  private seq = 0;
  /**
   * The new ports of a burst share one interned FeatureMap (their kind's template, agent/templates.ts):
   * a batch whose interfaces all have the same map encodes it once, not once per interface and batch.
   */
  private readonly encoded = new WeakMap<FeatureMap, EncodedMap>();

  /** `dir`: where the record files go (default agentRecordDir(stateDir)). */
  constructor(stateDir: string, dir = agentRecordDir(stateDir)) {
    this.dir = dir;
    // The state directory's rules (owner, mode; docs/state-and-locking.md) for every directory used.
    checkStateDir(stateDir, { create: true });
    checkStateDir(dirname(this.dir), { create: true });
    checkStateDir(this.dir, { create: true });
  }

  /** The record file of this run. */
  get path(): string {
    return join(this.dir, `${this.runId}${AGENT_RECORD_SUFFIX}`);
  }

  /** Record the interfaces of `changes` seen for the first time; returns the snapshot id, or null when none was new. */
  record(changes: readonly FirstChange[], policy: string): string | null {
    let fresh: FirstChange[] | null = null;
    for (const c of changes) if (!this.recorded.has(c.iface.ifindex)) (fresh ??= []).push(c);
    if (!fresh) return null;
    const { features, interfaces } = this.encode(fresh);
    const snapshot: Snapshot = {
      version: SNAPSHOT_FORMAT,
      id: `${this.runId}.${++this.seq}`,
      createdAt: new Date().toISOString(),
      policy,
      by: 'agent',
      netns: this.netns.name,
      netnsId: this.netns.id,
      netnsHost: this.netns.host,
      features,
      interfaces,
    };
    // A new file per run: O_CREAT|O_EXCL|O_NOFOLLOW, never through a planted name.
    this.fd ??= openStateFile(this.path, APPEND_NEW);
    const buf = Buffer.from(`${JSON.stringify(snapshot)}\n`);
    const before = this.size;
    try {
      for (let off = 0; off < buf.length; ) off += writeSync(this.fd, buf, off);
      this.size += buf.length;
    } catch (e) {
      // A full disk mid-line: cut the part written, so the file keeps whole lines only.
      try {
        ftruncateSync(this.fd, before);
      } catch {
        /* nothing more to do: a torn last line is ignored when read */
      }
      throw e;
    }
    for (const c of fresh) this.recorded.add(c.iface.ifindex);
    return snapshot.id;
  }

  /** The snapshot's feature table and interfaces, as SnapshotRecorder writes them. */
  private encode(fresh: readonly FirstChange[]): { features: string[]; interfaces: SnapshotInterface[] } {
    const map = fresh[0]!.features;
    if (fresh.some((c) => c.features !== map)) {
      const recorder = new SnapshotRecorder();
      const interfaces = fresh.map((c) => recorder.record(c.iface, c.features, c.stage));
      recorder.finish(interfaces);
      return { features: recorder.features, interfaces };
    }
    let e = this.encoded.get(map);
    if (!e) {
      const recorder = new SnapshotRecorder();
      const one = recorder.record(fresh[0]!.iface, map, 0);
      recorder.finish([one]);
      e = { features: recorder.features, recorded: one.recorded, requested: one.requested, active: one.active };
      // only a frozen (interned) map is known not to change under the same identity
      if (Object.isFrozen(map)) this.encoded.set(map, e);
    }
    const { recorded, requested, active } = e;
    // the key order of SnapshotRecorder.record: the same line either way
    const interfaces = fresh.map(({ iface: i, stage }) => ({
      name: i.name,
      ifindex: i.ifindex,
      role: i.role,
      master: i.master,
      stage,
      recorded,
      requested,
      active,
    }));
    return { features: e.features, interfaces };
  }

  /** The interface is gone: forget it (a new device never reuses a live ifindex). */
  forget(ifindex: number): void {
    this.recorded.delete(ifindex);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
