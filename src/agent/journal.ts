import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';

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
 * on a host where VMs come and go all day.
 */
export function fileJournal(stateDir: string, maxBytes = 8 << 20): Journal {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, 'agent-journal.jsonl');
  return {
    record(entries) {
      if (entries.length === 0) return;
      const time = new Date().toISOString();
      try {
        if (statSync(path).size > maxBytes) renameSync(path, path + '.1');
      } catch {
        /* no journal yet */
      }
      appendFileSync(path, entries.map((e) => JSON.stringify({ time, ...e })).join('\n') + '\n', { mode: 0o600 });
    },
  };
}
