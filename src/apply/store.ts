import { existsSync, readdirSync, readlinkSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { OffloadError } from '../model/errors.js';
import { AppendLog, parseJsonLines, randomHex, writeFileDurable } from './durable.js';
import { lockStateDir, type LockOptions } from './lock.js';
import { checkStateDir, readStateFile, stateFsError } from './state-dir.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js';
import type { JournalEntry, Snapshot, SnapshotStatus, SnapshotSummary } from './types.js';

export const DEFAULT_STATE_DIR = '/var/lib/offloadctl';

/**
 * Snapshots and journals under STATE_DIR/snapshots/:
 *   ID.json     the snapshot (format: snapshot-codec.ts), written once, durably, before anything changes;
 *   ID.journal  append-only JSON lines: intent (fsynced before each batch), done, end, restored.
 * IDs sort by creation time.
 */
export class SnapshotStore {
  readonly dir: string;
  private lastRead: { file: string; snap: Snapshot } | null = null;
  constructor(readonly stateDir: string = DEFAULT_STATE_DIR) {
    this.dir = join(stateDir, 'snapshots');
  }

  /**
   * One apply or restore at a time per state directory (the CLI and the agent may both run): an
   * exclusive kernel lock (flock) on STATE_DIR/lock, waited for up to `timeoutSeconds` (lock.ts).
   * Take it BEFORE observing the host: a snapshot must not describe the state from before another
   * apply's change. Returns the release function (the kernel also releases it if we die).
   */
  lock(opts: LockOptions = { timeoutSeconds: 0 }): Promise<() => void> {
    return lockStateDir(this.stateDir, opts);
  }

  static newId(now = new Date()): string {
    const iso = now.toISOString(); // 2026-11-25T12:55:49.123Z
    const compact = iso.replace(/[-:]/g, '').replace('T', '-').replace('.', '-').replace('Z', '');
    return `${compact}-${randomHex(2)}`; // 20261125-125549-123-ab12
  }

  /** Write the snapshot durably and open its journal. Nothing may change before this returns. */
  create(snapshot: Snapshot): Journal {
    let journal: Journal | null = null;
    try {
      checkStateDir(this.stateDir, { create: true });
      checkStateDir(this.dir, { create: true });
      // The journal is created first, without its own directory fsync: the one that makes the
      // snapshot's rename durable (writeFileDurable) covers its directory entry too. A crash in
      // between leaves an empty ID.journal without ID.json, which nothing lists.
      journal = new Journal(this.journalPath(snapshot.id), { syncDir: false, create: 'new' });
      writeFileDurable(this.snapshotPath(snapshot.id), encodeSnapshot(snapshot));
      return journal;
    } catch (e) {
      if (journal) {
        journal.close();
        try {
          unlinkSync(this.journalPath(snapshot.id));
        } catch {
          /* best effort */
        }
      }
      throw stateFsError(e, this.dir);
    }
  }

  journal(id: string): Journal {
    try {
      checkStateDir(this.dir);
      return new Journal(this.journalPath(id));
    } catch (e) {
      throw stateFsError(e, this.dir);
    }
  }

  ids(): string[] {
    checkStateDir(this.stateDir);
    checkStateDir(this.dir);
    if (!existsSync(this.dir)) return [];
    try {
      return readdirSync(this.dir)
        .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
        .map((f) => f.slice(0, -'.json'.length))
        .sort();
    } catch (e) {
      throw stateFsError(e, this.dir);
    }
  }

  read(id: string): Snapshot {
    if (!/^[A-Za-z0-9._-]+$/.test(id)) throw new OffloadError('input', `invalid snapshot id: ${JSON.stringify(id)}`);
    const path = this.snapshotPath(id);
    let st: Stats | null = null;
    try {
      st = statSync(path);
    } catch {
      /* as existsSync: any error is "no such snapshot" */
    }
    if (!st) {
      throw new OffloadError('not-found', `no snapshot ${id} in ${this.dir} (see \`offloadctl snapshots\`)`);
    }
    // restore reads its snapshot three times (last, read, summary): decoded once while the file is
    // the same (~130 KiB of JSON at 1000 interfaces). Snapshots are never rewritten in place.
    const file = `${id} ${st.ino} ${st.size} ${st.mtimeMs}`;
    if (this.lastRead?.file === file) return this.lastRead.snap;
    let snap: Snapshot;
    try {
      snap = decodeSnapshot(readStateFile(path));
    } catch (e) {
      if (e instanceof OffloadError) throw e;
      throw new OffloadError('input', `snapshot ${path} is unreadable: ${(e as Error).message}`, { corrupt: true });
    }
    if (snap.id !== id) {
      throw new OffloadError(
        'input',
        `snapshot ${path} is not an offloadctl snapshot (its id is ${JSON.stringify(snap.id)})`,
        { corrupt: true },
      );
    }
    this.lastRead = { file, snap };
    return snap;
  }

  entries(id: string): JournalEntry[] {
    const path = this.journalPath(id);
    if (!existsSync(path)) return [];
    try {
      return parseJsonLines<unknown>(readStateFile(path)).filter(isJournalEntry);
    } catch (e) {
      throw stateFsError(e, path);
    }
  }

  summary(id: string): SnapshotSummary {
    const snap = this.read(id);
    const { status, restoredAt } = statusOf(this.entries(id));
    return {
      id,
      createdAt: snap.createdAt,
      policy: snap.policy,
      netns: snap.netns,
      netnsId: snap.netnsId ?? null,
      interfaces: snap.interfaces.length,
      status,
      restoredAt,
    };
  }

  /** Every snapshot, oldest first; a corrupt one is listed with status 'corrupt' and the reason. */
  list(): SnapshotSummary[] {
    return this.ids().map((id) => {
      try {
        return this.summary(id);
      } catch (e) {
        if (!(e instanceof OffloadError) || !e.detail?.corrupt) throw e;
        return corruptSummary(id, e.message);
      }
    });
  }

  /**
   * The newest snapshot taken in the namespace `here`, or null. Corrupt snapshots are skipped and
   * passed to `onCorrupt` (the CLI says so).
   */
  last(here: NetnsIdentity, onCorrupt?: (id: string, why: string) => void): string | null {
    const ids = this.ids();
    for (let i = ids.length - 1; i >= 0; i--) {
      let snap: Snapshot;
      try {
        snap = this.read(ids[i]!);
      } catch (e) {
        if (!(e instanceof OffloadError) || !e.detail?.corrupt) throw e;
        onCorrupt?.(ids[i]!, e.message);
        continue;
      }
      if (sameNetns(snap, here)) return ids[i]!;
    }
    return null;
  }

  private snapshotPath(id: string): string {
    return join(this.dir, `${id}.json`);
  }
  private journalPath(id: string): string {
    return join(this.dir, `${id}.journal`);
  }
}

export interface NetnsIdentity {
  /** `--netns` name (OFFLOADCTL_NETNS), null for the host's own namespace. */
  name: string | null;
  /** `readlink /proc/self/ns/net`, null when unreadable. */
  id: string | null;
  /**
   * In the host's own namespace (init_net: its fixed inode number, or PID 1's namespace), false in
   * another, null when unknown. Survives a reboot, which the id may not on older kernels.
   */
  host: boolean | null;
}

function readNs(pid: string): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return null;
  }
}

/** init_net's fixed inode number on current kernels (include/linux/proc_ns.h PROC_NET_INIT_INO). */
const INIT_NET_ID = `net:[${0xeffffff9}]`;

/** The network namespace this process runs in. */
export function currentNetns(): NetnsIdentity {
  const id = readNs('self');
  let host: boolean | null = id === INIT_NET_ID ? true : null;
  if (host === null && id) {
    // Older kernels number init_net like any other namespace: compare with PID 1's (may be EACCES).
    const init = readNs('1');
    if (init) host = id === init;
  }
  return { name: process.env.OFFLOADCTL_NETNS ?? null, id, host };
}

/**
 * Was the snapshot taken in this namespace? The host's own namespace is recognised as such (its id
 * may change across a reboot on older kernels); others by identity when both sides know it (a
 * process started with plain `ip netns exec` has no --netns name), else by name.
 */
export function sameNetns(snap: Pick<Snapshot, 'netns' | 'netnsId' | 'netnsHost'>, here: NetnsIdentity): boolean {
  if (typeof snap.netnsHost === 'boolean' && here.host !== null) {
    if (snap.netnsHost || here.host) return snap.netnsHost === here.host;
  }
  if (snap.netnsId && here.id) return snap.netnsId === here.id;
  return (snap.netns ?? null) === here.name;
}

/** The status a journal tells. A journal without an end entry belongs to an apply that never finished. */
export function statusOf(entries: readonly JournalEntry[]): { status: SnapshotStatus; restoredAt: string | null } {
  let status: SnapshotStatus = 'interrupted';
  let restoredAt: string | null = null;
  for (const e of entries) {
    if (e.op === 'end') status = e.status;
    else if (e.op === 'restored') {
      status = 'restored';
      restoredAt = e.at;
    }
  }
  return { status, restoredAt };
}

/** Interfaces the journal says apply was about to change (intent): a superset of what it changed. */
export function journaledInterfaces(entries: readonly JournalEntry[]): Set<string> {
  const s = new Set<string>();
  for (const e of entries) if (e.op === 'intent') for (const n of e.ifaces) s.add(n);
  return s;
}

export class Journal {
  private log: AppendLog;
  constructor(path: string, opts: { syncDir?: boolean; create?: 'new' | 'either' } = {}) {
    this.log = new AppendLog(path, opts);
  }
  /**
   * Append entries. Only `intent` is fsynced before apply goes on to change the kernel; `done` is
   * written without (the next fsync covers it). Restore does not depend on either (restore.ts).
   */
  append(...entries: JournalEntry[]): void {
    this.log.append(entries, { sync: entries.some((e) => e.op !== 'done') });
  }
  close(): void {
    this.log.close();
  }
}

/** A snapshot file that cannot be read as one: listed, not fatal. */
function corruptSummary(id: string, why: string): SnapshotSummary {
  const m = /^(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)-(\d{3})-/.exec(id);
  return {
    id,
    createdAt: m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z` : '',
    policy: '-',
    netns: null,
    netnsId: null,
    interfaces: 0,
    status: 'corrupt',
    restoredAt: null,
    error: why,
  };
}

/** Journal lines are checked too: a garbled one (right JSON, wrong shape) is ignored, never trusted. */
function isJournalEntry(e: unknown): e is JournalEntry {
  if (typeof e !== 'object' || e === null) return false;
  const x = e as Record<string, unknown>;
  const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (typeof x.at !== 'string') return false;
  switch (x.op) {
    case 'intent':
      return typeof x.stage === 'number' && strings(x.ifaces);
    case 'done':
      return strings(x.changed) && strings(x.failed) && strings(x.vanished);
    case 'end':
      return x.status === 'applied' || x.status === 'partial' || x.status === 'rolled-back';
    case 'restored':
      return true;
    default:
      return false;
  }
}
