import { spawn } from 'node:child_process';
import { closeSync, ftruncateSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { OffloadError } from '../model/errors.js';
import { LOCK_FILE, checkStateDir, openStateFile, stateFsError } from './state-dir.js';

/**
 * One apply or restore at a time per state directory: an exclusive flock(2) on STATE_DIR/lock.
 *
 * A kernel lock, so nothing is stale: the kernel releases it when the holder's last file
 * descriptor closes, also when it is SIGKILLed (fs/locks.c locks_remove_file runs on the final
 * fput). Node has no flock(2), and a native addon is a build dependency for one syscall; so the
 * lock file is opened here and util-linux's `flock -x -w SECONDS 3` gets that descriptor as its
 * fd 3. flock(2) locks the open file description, which this process shares with the child: the
 * lock outlives the child and stays ours until we close the descriptor (or die). Node opens files
 * with O_CLOEXEC, so programs started later (ethtool, ip) do not inherit it.
 * The file's content (the holder's pid) is informational only: it names whom we wait for.
 */
export interface LockOptions {
  /** Seconds to wait for another holder; 0: fail at once. */
  timeoutSeconds: number;
  /** Told once when the lock is busy and we start waiting. */
  onWait?: (holder: string) => void;
}

/** util-linux flock's exit code when the lock is busy (-E): EX_TEMPFAIL. */
const BUSY = 75;

export async function lockStateDir(stateDir: string, opts: LockOptions): Promise<() => void> {
  checkStateDir(stateDir, { create: true });
  const path = join(stateDir, 'lock');
  let fd: number;
  try {
    fd = openStateFile(path, LOCK_FILE);
  } catch (e) {
    throw stateFsError(e, stateDir);
  }
  try {
    let rc = await runFlock(fd, ['-n']);
    if (rc === BUSY && opts.timeoutSeconds > 0) {
      opts.onWait?.(holderOf(fd));
      rc = await runFlock(fd, ['-w', String(opts.timeoutSeconds)]);
    }
    if (rc === BUSY) {
      const holder = holderOf(fd);
      throw new OffloadError(
        'system',
        `another offloadctl apply or restore${holder ? ` (pid ${holder})` : ''} is using ${stateDir}` +
          (opts.timeoutSeconds > 0
            ? `; gave up after waiting ${opts.timeoutSeconds} s (--lock-timeout)`
            : '; try again when it has finished'),
      );
    }
    if (rc !== 0) throw new OffloadError('system', `cannot lock ${path}: flock exited ${rc}`);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  try {
    // Informational, best effort (a full disk must not stop us here: the lock is the kernel's).
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`, 0);
  } catch {
    /* ENOSPC etc.: the pid is only a hint */
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    try {
      ftruncateSync(fd, 0);
    } catch {
      /* hint only */
    }
    closeSync(fd); // the last descriptor of the description: the kernel drops the flock
  };
}

function runFlock(fd: number, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['-x', '-E', String(BUSY), ...args, '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        new OffloadError(
          'system',
          e.code === 'ENOENT'
            ? 'the state-directory lock needs flock(1) from util-linux, which is not installed'
            : `flock: ${e.message}`,
        ),
      ),
    );
    child.on('close', (code, signal) => {
      if (code === null) reject(new OffloadError('system', `flock killed by ${signal}`));
      else if (code !== 0 && code !== BUSY) reject(new OffloadError('system', `flock exited ${code}: ${err.trim()}`));
      else resolve(code);
    });
  });
}

function holderOf(fd: number): string {
  try {
    const buf = Buffer.alloc(32);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const s = buf.subarray(0, n).toString().trim();
    return /^\d+$/.test(s) ? s : '';
  } catch {
    return '';
  }
}
