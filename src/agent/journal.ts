import { closeSync, fstatSync, ftruncateSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { APPEND_EXISTING, APPEND_NEW, checkStateDir, openStateFile } from '../apply/state-dir.js';

export interface JournalEntry {
  ifindex: number;
  ifname: string;
  reason: string;
  /** Requested values before the change (what a manual restore puts back). */
  before: Record<string, boolean>;
  after: Record<string, boolean>;
}

export interface Journal {
  /** Never throws: a write that fails is reported (onError, problem()) and enforcement goes on. */
  record(entries: JournalEntry[]): void;
  /** Why the last write failed (e.g. "ENOSPC"), or null when it worked (or nothing was written yet). */
  problem?(): string | null;
}

export interface JournalOptions {
  /** Rotate to .1 past this size (default 8 MiB). */
  maxBytes?: number;
  /** A write (or open, or rotation) failed: the entries are lost, the agent goes on. */
  onError?: (e: NodeJS.ErrnoException, lostEntries: number) => void;
}

/**
 * The agent's change journal: STATE_DIR/agent-journal.jsonl, one JSON line per change, written
 * (one append per batch) before the changes are made. Rotated to .1 at 8 MiB, so it stays bounded
 * on a host where VMs come and go all day. The file stays open and its size is counted here: a
 * burst journals hundreds of times, and open+stat+write+close each time cost more than the write.
 *
 * A full disk (ENOSPC, EDQUOT) or a failing one (EIO) must not stop enforcement: the journal is a
 * record for operators, the kernel's state is the truth. A failed write is reported through
 * onError (the agent counts it, logs it rate-limited and says "degraded" on /healthz) and the
 * part of it that did reach the file is cut off again, so the file stays whole JSON lines.
 */
export function fileJournal(stateDir: string, opts: JournalOptions | number = {}): Journal {
  const o: JournalOptions = typeof opts === 'number' ? { maxBytes: opts } : opts;
  const maxBytes = o.maxBytes ?? 8 << 20;
  checkStateDir(stateDir, { create: true }); // owned by us, not group/other-writable (state-dir.ts)
  const path = join(stateDir, 'agent-journal.jsonl');
  let fd: number | null = null;
  let size = 0;
  let problem: string | null = null;
  const open = () => {
    // Never through a planted symlink: O_NOFOLLOW, and O_EXCL when new.
    try {
      fd = openStateFile(path, APPEND_EXISTING);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      fd = openStateFile(path, APPEND_NEW);
    }
    size = fstatSync(fd).size;
    return fd;
  };
  open(); // now: the first change of a burst should not wait for it
  return {
    record(entries) {
      if (entries.length === 0) return;
      const time = new Date().toISOString();
      let written = 0;
      let start = size;
      try {
        let f = fd ?? open();
        if (size > maxBytes) {
          closeSync(f);
          fd = null;
          renameSync(path, path + '.1');
          f = open();
        }
        start = size;
        const buf = Buffer.from(entries.map((e) => JSON.stringify({ time, ...e })).join('\n') + '\n');
        while (written < buf.length) written += writeSync(f, buf, written);
        size += buf.length;
        problem = null;
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (written > 0 && fd !== null) {
          try {
            ftruncateSync(fd, start); // no half line for the next write to follow
          } catch {
            /* the file keeps a torn last line; readers skip lines that are not JSON */
          }
        }
        problem = err.code ?? err.message;
        try {
          o.onError?.(err, entries.length);
        } catch {
          /* reporting must not break enforcement either */
        }
      }
    },
    problem: () => problem,
  };
}
