import { closeSync, fstatSync, renameSync, writeSync } from 'node:fs';
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
  record(entries: JournalEntry[]): void;
}

/**
 * The agent's change journal: STATE_DIR/agent-journal.jsonl, one JSON line per change, written
 * (one append per batch) before the changes are made. Rotated to .1 at 8 MiB, so it stays bounded
 * on a host where VMs come and go all day. The file stays open and its size is counted here: a
 * burst journals hundreds of times, and open+stat+write+close each time cost more than the write.
 */
export function fileJournal(stateDir: string, maxBytes = 8 << 20): Journal {
  checkStateDir(stateDir, { create: true }); // owned by us, not group/other-writable (state-dir.ts)
  const path = join(stateDir, 'agent-journal.jsonl');
  let fd: number | null = null;
  let size = 0;
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
      let f = fd ?? open();
      if (size > maxBytes) {
        closeSync(f);
        fd = null;
        renameSync(path, path + '.1');
        f = open();
      }
      const buf = Buffer.from(entries.map((e) => JSON.stringify({ time, ...e })).join('\n') + '\n');
      for (let off = 0; off < buf.length; ) off += writeSync(f, buf, off);
      size += buf.length;
    },
  };
}
