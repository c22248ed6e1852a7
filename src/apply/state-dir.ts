import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync } from 'node:fs';
import { OffloadError } from '../model/errors.js';
import { mkdirDurable } from './fsync-dir.js';

/**
 * The state directory's safety rules (like sshd's StrictModes): the directory root's commands
 * write into must belong to the running user and be writable by nobody else, and files in it are
 * opened without following symlinks (O_NOFOLLOW) and created only when new (O_CREAT|O_EXCL). In a
 * directory someone else can write, they could plant `agent-journal.jsonl` or `ID.journal` as a
 * symlink to /etc/shadow and have root append to it.
 */

const { O_RDONLY, O_WRONLY, O_RDWR, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

/** Flags for opening an existing file to append to (never through a symlink). */
export const APPEND_EXISTING = O_WRONLY | O_APPEND | O_NOFOLLOW;
/** Flags for creating a new file to append to: fails if anything (also a dangling symlink) has the name. */
export const APPEND_NEW = O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW;
/** Flags for the lock file: created if missing, never through a symlink. */
export const LOCK_FILE = O_RDWR | O_CREAT | O_NOFOLLOW;

const euid = (): number => process.geteuid?.() ?? 0;

/**
 * Refuse a state directory (or subdirectory) that exists and is not a directory owned by the
 * running user (or root), or is writable by group or others. `create`: make it (mode 0700, parents too)
 * when missing. Throws OffloadError('permission') → exit 3, one line saying how to fix it.
 */
export function checkStateDir(dir: string, opts: { create?: boolean } = {}): void {
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && opts.create) {
      try {
        mkdirDurable(dir, 0o700);
      } catch (e2) {
        throw stateFsError(e2, dir);
      }
      checkStateDir(dir);
      return;
    }
    if (code === 'ENOENT') return;
    throw stateFsError(e, dir);
  }
  if (!st.isDirectory()) throw new OffloadError('permission', `refusing state directory ${dir}: not a directory`);
  const me = euid();
  // Owned by us, or by root (as sshd's StrictModes accepts): nobody else may plant files there.
  if (st.uid !== me && st.uid !== 0) {
    throw new OffloadError(
      'permission',
      `refusing state directory ${dir}: owned by uid ${st.uid}, not by the running user (uid ${me}) or root; ` +
        `chown it or pass another --state-dir`,
    );
  }
  if (st.mode & 0o022) {
    throw new OffloadError(
      'permission',
      `refusing state directory ${dir}: writable by ${st.mode & 0o002 ? 'others' : 'group'} ` +
        `(mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}); run \`chmod 700 ${dir}\``,
    );
  }
}

/**
 * Open a state file by flags; a symlink in its place is refused (ELOOP from O_NOFOLLOW), and so is
 * anything that is not a regular file owned by the running user (a hard link to another user's file).
 */
export function openStateFile(path: string, flags: number, mode = 0o600): number {
  let fd: number;
  try {
    fd = openSync(path, flags, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new OffloadError('permission', `refusing ${path}: it is a symbolic link (someone planted it; remove it)`);
    }
    throw e;
  }
  const st = fstatSync(fd);
  if (!st.isFile() || st.uid !== euid()) {
    closeSync(fd);
    throw new OffloadError(
      'permission',
      `refusing ${path}: ${st.isFile() ? `owned by uid ${st.uid}` : 'not a regular file'}`,
    );
  }
  return fd;
}

/** Read a state file as text, without following a symlink. */
export function readStateFile(path: string): string {
  const fd = openStateFile(path, O_RDONLY | O_NOFOLLOW);
  try {
    const size = fstatSync(fd).size;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.max(65536, size - total + 1));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Does a path exist (without following a final symlink)? */
export function existsNoFollow(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A file-system error on the state directory → one clear line (exit 3). */
export function stateFsError(e: unknown, where: string): Error {
  if (e instanceof OffloadError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS') {
    return new OffloadError(
      'permission',
      `cannot write the state directory ${where}: ${err.code} (run as root, or pass --state-dir)`,
    );
  }
  if (err.code === 'ENOSPC' || err.code === 'EDQUOT') {
    return new OffloadError(
      'system',
      `state directory ${where}: no space left on the device (${err.code}); free some space`,
      { code: err.code },
    );
  }
  if (err.code) return new OffloadError('system', `state directory ${where}: ${err.message}`, { code: err.code });
  return err as Error;
}
