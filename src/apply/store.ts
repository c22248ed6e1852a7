import { closeSync, existsSync, openSync, readFileSync, readdirSync, readlinkSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { OffloadError } from '../model/errors.js';
import { AppendLog, mkdirDurable, parseJsonLines, writeFileDurable } from './durable.js';
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
  constructor(readonly stateDir: string = DEFAULT_STATE_DIR) {
    this.dir = join(stateDir, 'snapshots');
  }

  /**
   * One apply or restore at a time per state directory (the CLI and the agent may both run):
   * STATE_DIR/lock holds the owner's pid, created with O_EXCL. A lock whose process is gone (killed)
   * is taken over. Returns the release function.
   */
  lock(): () => void {
    const path = join(this.stateDir, 'lock');
    try {
      mkdirDurable(this.stateDir);
    } catch (e) {
      throw fsError(e, this.stateDir);
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return () => {
          try {
            if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
          } catch {
            /* already gone */
          }
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw fsError(e, this.stateDir);
        let pid = 0;
        try {
          pid = Number(readFileSync(path, 'utf8').trim());
        } catch {
          /* vanished meanwhile: retry */
        }
        if (pid > 0 && pid !== process.pid && processAlive(pid)) {
          throw new OffloadError('system', `another offloadctl apply or restore (pid ${pid}) is using ${this.stateDir}; try again when it has finished`);
        }
        try {
          unlinkSync(path); // stale: its owner was killed
        } catch {
          /* someone else took it over */
        }
      }
    }
  }

  static newId(now = new Date()): string {
    const iso = now.toISOString(); // 2026-11-25T12:55:49.123Z
    const compact = iso.replace(/[-:]/g, '').replace('T', '-').replace('.', '-').replace('Z', '');
    return `${compact}-${randomBytes(2).toString('hex')}`; // 20261125-125549-123-ab12
  }

  /** Write the snapshot durably and open its journal. Nothing may change before this returns. */
  create(snapshot: Snapshot): Journal {
    let journal: Journal | null = null;
    try {
      mkdirDurable(this.dir);
      // The journal is created first, without its own directory fsync: the one that makes the
      // snapshot's rename durable (writeFileDurable) covers its directory entry too. A crash in
      // between leaves an empty ID.journal without ID.json, which nothing lists.
      journal = new Journal(this.journalPath(snapshot.id), { syncDir: false });
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
      throw fsError(e, this.dir);
    }
  }

  journal(id: string): Journal {
    try {
      return new Journal(this.journalPath(id));
    } catch (e) {
      throw fsError(e, this.dir);
    }
  }

  ids(): string[] {
    if (!existsSync(this.dir)) return [];
    try {
      return readdirSync(this.dir)
        .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
        .map((f) => f.slice(0, -'.json'.length))
        .sort();
    } catch (e) {
      throw fsError(e, this.dir);
    }
  }

  read(id: string): Snapshot {
    if (!/^[A-Za-z0-9._-]+$/.test(id)) throw new OffloadError('input', `invalid snapshot id: ${JSON.stringify(id)}`);
    const path = this.snapshotPath(id);
    if (!existsSync(path)) {
      throw new OffloadError('not-found', `no snapshot ${id} in ${this.dir} (see \`offloadctl snapshots\`)`);
    }
    let snap: Snapshot;
    try {
      snap = decodeSnapshot(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new OffloadError('input', `snapshot ${path} is unreadable: ${(e as Error).message}`);
    }
    if (snap.id !== id) throw new OffloadError('input', `snapshot ${path} is not an offloadctl snapshot (its id is ${JSON.stringify(snap.id)})`);
    return snap;
  }

  entries(id: string): JournalEntry[] {
    const path = this.journalPath(id);
    if (!existsSync(path)) return [];
    return parseJsonLines<JournalEntry>(readFileSync(path, 'utf8'));
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

  list(): SnapshotSummary[] {
    return this.ids().map((id) => this.summary(id));
  }

  /** The newest snapshot taken in the namespace `here`, or null. */
  last(here: NetnsIdentity): string | null {
    const ids = this.ids();
    for (let i = ids.length - 1; i >= 0; i--) {
      if (sameNetns(this.read(ids[i]!), here)) return ids[i]!;
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
  constructor(path: string, opts: { syncDir?: boolean } = {}) {
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

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function fsError(e: unknown, dir: string): Error {
  if (e instanceof OffloadError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS') {
    return new OffloadError('permission', `cannot write the state directory ${dir}: ${err.code} (run as root, or pass --state-dir)`);
  }
  if (err.code) return new OffloadError('system', `state directory ${dir}: ${err.message}`);
  return err as Error;
}
