import { spawn } from 'node:child_process';
import { closeSync, constants, createReadStream, openSync, readFileSync, readSync } from 'node:fs';
import { OffloadError } from '../model/errors.js';
import { linesOf } from './log-scan.js';

/**
 * Where the doctor reads kernel log lines from. The only I/O of the log analysis; everything else
 * works on the line stream. Nothing here writes or changes anything.
 */
export interface LogSource {
  /** e.g. `/dev/kmsg`, `journalctl -k`, a file name, `stdin`. */
  source: string;
  lines: AsyncIterable<string>;
  /** Wall-clock boot time (ms) to place monotonic stamps; null when unknown (offline files). */
  bootMs: number | null;
}

export interface LogSourceOptions {
  /** A file, or `-` for stdin. Absent: the live kernel log. */
  kernelLog?: string;
  sinceMs?: number | null;
  /** Live log: 'auto' tries /dev/kmsg, then journalctl; the others force one. */
  live?: 'auto' | 'kmsg' | 'journal';
}

export async function openLogSource(opts: LogSourceOptions): Promise<LogSource> {
  if (opts.kernelLog === '-') return { source: 'stdin', lines: linesOf(process.stdin), bootMs: null };
  if (opts.kernelLog !== undefined) return openFile(opts.kernelLog);
  const bootMs = bootTimeMs();
  const live = opts.live ?? 'auto';
  const kmsg = live === 'journal' ? null : tryKmsg();
  if (kmsg) return { source: '/dev/kmsg', lines: kmsg, bootMs };
  if (live === 'kmsg')
    throw new OffloadError('permission', 'cannot read /dev/kmsg (needs root when kernel.dmesg_restrict=1)');
  return { source: 'journalctl -k', lines: journal(opts.sinceMs ?? null), bootMs };
}

function openFile(path: string): LogSource {
  // Open synchronously so a missing/unreadable file is a clear usage error before anything else runs.
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EACCES' || err.code === 'EPERM')
      throw new OffloadError('permission', `cannot read ${path}: permission denied`);
    throw new OffloadError('input', `cannot read kernel log ${path}: ${err.code ?? err.message}`);
  }
  return { source: path, lines: linesOf(createReadStream('', { fd, highWaterMark: 64 * 1024 })), bootMs: null };
}

/** Wall-clock time of boot from /proc/uptime (printk stamps are local_clock(): close, not exact across suspend). */
function bootTimeMs(): number | null {
  try {
    const up = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return Number.isFinite(up) ? Date.now() - up * 1000 : null;
  } catch {
    return null;
  }
}

/**
 * /dev/kmsg opened O_NONBLOCK: each read() returns one record; EAGAIN means the end of the ring
 * (Documentation/ABI/testing/dev-kmsg); EPIPE means records were overwritten while reading: go on.
 * Reading does not consume anything (every open has its own position). Null when not readable
 * (not root with kernel.dmesg_restrict=1, or a container without it).
 */
function tryKmsg(): AsyncIterable<string> | null {
  let fd: number;
  try {
    fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  // Probe one read: some containers allow the open but not the read.
  const buf = Buffer.alloc(16 * 1024);
  let first: string | null;
  try {
    first = readRecord(fd, buf);
  } catch {
    closeSync(fd);
    return null;
  }
  return (async function* () {
    try {
      let rec = first;
      while (rec !== null) {
        for (const line of rec.split('\n')) if (line.length > 0) yield line;
        rec = readRecord(fd, buf);
      }
    } finally {
      closeSync(fd);
    }
  })();
}

/** One record, or null at the end of the ring. */
function readRecord(fd: number, buf: Buffer): string | null {
  for (;;) {
    try {
      const n = readSync(fd, buf, 0, buf.length, null);
      return n === 0 ? null : buf.toString('utf8', 0, n);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') return null;
      if (code === 'EPIPE') continue;
      throw e;
    }
  }
}

/** `journalctl -k` (this boot's kernel messages), streamed. */
async function* journal(sinceMs: number | null): AsyncGenerator<string> {
  const argv = ['-k', '-o', 'short-iso', '--no-pager', '-q'];
  if (sinceMs !== null) argv.push('--since', `@${Math.floor(sinceMs / 1000)}`);
  const child = spawn('journalctl', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const err: Buffer[] = [];
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const exited = new Promise<number>((resolve) => {
    child.on('error', () => resolve(-1));
    child.on('close', (code) => resolve(code ?? 1));
  });
  try {
    yield* linesOf(child.stdout);
  } finally {
    if (child.exitCode === null) child.kill();
  }
  const code = await exited;
  if (code === -1) {
    throw new OffloadError(
      'unsupported',
      'no kernel log: /dev/kmsg is not readable and journalctl is not installed (use --kernel-log FILE)',
    );
  }
  if (code !== 0) {
    throw new OffloadError(
      'system',
      `journalctl -k failed: ${Buffer.concat(err).toString('utf8').trim() || `exit ${code}`}`,
    );
  }
}
