import {
  closeSync,
  constants,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
  existsSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { APPEND_EXISTING, APPEND_NEW, openStateFile } from './state-dir.js';
import { fsyncDir, mkdirDurable } from './fsync-dir.js';

export { fsyncDir, mkdirDurable };

/**
 * `bytes` random bytes as hex, for names that only need to differ from a concurrent writer's (the
 * pid and O_EXCL do the rest): Math.random, because node:crypto costs apply ~2 ms just to load.
 */
export function randomHex(bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++)
    s += Math.floor(Math.random() * 256)
      .toString(16)
      .padStart(2, '0');
  return s;
}

/**
 * Durable file writes: after these return, the data survives a crash or power loss (on file
 * systems that honour fsync). A new file only becomes visible once complete: write a temporary
 * file, fsync it, rename it over the target, then fsync the directory so the rename itself is on
 * disk (rename(2) is atomic, but the directory entry lives in the directory's own blocks).
 * Synchronous on purpose: an `apply` must not change anything before these return.
 */
export function writeFileDurable(path: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomHex(3)}`);
  testFaultPoint(dirname(path));
  // O_EXCL: never through a planted symlink; rename() below replaces a symlink at `path`, never follows it.
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* best effort */
    }
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* best effort */
    }
    throw e;
  }
  fsyncDir(dirname(path));
}

/**
 * An append-only file of JSON lines, fsynced per append (unless asked not to): each call is one
 * batch. A crash can lose at most the unsynced tail, and a torn last line is ignored by parseJsonLines.
 */
export class AppendLog {
  private fd: number | null;
  /**
   * `syncDir: false`: the caller makes the new file's directory entry durable itself (e.g. with the
   * directory fsync that follows a writeFileDurable in the same directory).
   */
  constructor(
    readonly path: string,
    opts: { syncDir?: boolean; create?: 'new' | 'either' } = {},
  ) {
    // Never through a symlink (O_NOFOLLOW); a new file with O_EXCL (state-dir.ts).
    let existed = false;
    if (opts.create === 'new') this.fd = openStateFile(path, APPEND_NEW);
    else {
      try {
        this.fd = openStateFile(path, APPEND_EXISTING);
        existed = true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        this.fd = openStateFile(path, APPEND_NEW);
      }
    }
    if (!existed && opts.syncDir !== false) fsyncDir(dirname(path));
  }

  /** Append records; `sync: false` skips the fsync (the next synced append covers them). */
  append(records: readonly unknown[], opts: { sync?: boolean } = {}): void {
    if (this.fd === null) throw new Error(`${this.path}: log is closed`);
    if (records.length === 0) return;
    const buf = Buffer.from(records.map((r) => JSON.stringify(r) + '\n').join(''), 'utf8');
    testFaultPoint(dirname(this.path));
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    if (opts.sync !== false) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Parse JSON lines; a torn or garbled line (a crash mid-write) ends the readable part. */
export function parseJsonLines<T>(text: string): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      break;
    }
  }
  return out;
}

/**
 * Test-only fault injection (like apply's OFFLOADCTL_TEST_KILL_AFTER): OFFLOADCTL_TEST_FILL_AT=N
 * fills the file system of the state directory right before the Nth state write of this process
 * (writeFileDurable and AppendLog.append count) and fails that write with ENOSPC: everything after
 * it (rollback, restore) runs on a really full disk. (The write itself is failed here rather than
 * left to the kernel: an append that fits in its file's last, partly used page would still succeed.)
 * Meant for a small tmpfs the test mounted in its own mount namespace. Unset: one env lookup.
 */
let writes = 0;
function testFaultPoint(dir: string): void {
  const at = process.env.OFFLOADCTL_TEST_FILL_AT;
  if (at === undefined || !/^\d+$/.test(at) || ++writes !== Number(at)) return;
  const fd = openSync(join(dir, '.test-filler'), 'a', 0o600);
  const block = Buffer.alloc(65536);
  try {
    for (let size = block.length; size > 0; ) {
      try {
        writeSync(fd, block, 0, size);
      } catch {
        size >>= 1; // ENOSPC: fill the last partial block too
      }
    }
  } finally {
    closeSync(fd);
  }
  throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
    code: 'ENOSPC',
    errno: -28,
    syscall: 'write',
  });
}
