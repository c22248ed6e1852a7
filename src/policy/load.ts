import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { OffloadError } from '../model/errors.js';
import type { Policy } from '../model/types.js';
import { parsePolicyText } from './parse.js';
import { DEFAULT_PROFILE } from './profiles.js';
import { checkPolicyOptions, loadProfile, type LoadPolicyOptions } from './profile-options.js';

export type { LoadPolicyOptions };

/**
 * The largest policy file read: 1 MiB. Real policies are a few KiB; a 1 MiB one already takes
 * seconds to parse on a busy host (the agent parses reloads in a child process: policy-reload.ts).
 */
export const MAX_POLICY_BYTES = 1 << 20;

/**
 * The policy a command works with: `--profile NAME` or `--policy FILE` (not both); neither →
 * the default profile tso-gso-off. Bad input throws OffloadError with exit code 2.
 */
export function loadPolicy(opts: LoadPolicyOptions = {}): Policy {
  checkPolicyOptions(opts);
  if (opts.file !== undefined) return loadPolicyFile(opts.file);
  return loadProfile(opts.profile ?? DEFAULT_PROFILE);
}

function kindOf(st: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * A policy file's text: a regular file of at most MAX_POLICY_BYTES, checked on the open file
 * before reading (O_NONBLOCK: opening a FIFO does not wait for a writer; /dev/zero, a FIFO or a
 * directory is refused, not read).
 */
export function readPolicyFile(file: string): string {
  if (file === '-') return readStdinPolicy();
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : (err.code ?? err.message);
    throw new OffloadError(err.code === 'ENOENT' ? 'not-found' : 'input', `cannot read policy file ${file}: ${why}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw new OffloadError('input', `cannot read policy file ${file}: is ${kindOf(st)}, not a regular file`);
    if (st.size > MAX_POLICY_BYTES)
      throw new OffloadError(
        'input',
        `policy file ${file} is ${st.size} bytes; the limit is ${MAX_POLICY_BYTES} (1 MiB)`,
      );
    // read at most one byte past the limit: a file that grew meanwhile is refused too
    const buf = Buffer.alloc(MAX_POLICY_BYTES + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > MAX_POLICY_BYTES)
        throw new OffloadError('input', `policy file ${file} is larger than ${MAX_POLICY_BYTES} bytes (1 MiB)`);
    }
    return buf.toString('utf8', 0, n);
  } catch (e) {
    if (e instanceof OffloadError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new OffloadError('input', `cannot read policy file ${file}: ${err.code ?? err.message}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * `--policy -`: the policy from standard input, whatever it is (a pipe, a terminal): the operator
 * asked for it, so waiting for it is right — unlike a FIFO named as a file. Same 1 MiB limit.
 */
function readStdinPolicy(): string {
  const buf = Buffer.alloc(MAX_POLICY_BYTES + 1);
  let n = 0;
  for (;;) {
    let r: number;
    try {
      r = readSync(0, buf, n, buf.length - n, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); // a non-blocking pipe: wait for data
        continue;
      }
      if (code === 'EOF') break;
      throw new OffloadError('input', `cannot read the policy from standard input: ${code ?? (e as Error).message}`);
    }
    if (r === 0) break;
    n += r;
    if (n > MAX_POLICY_BYTES)
      throw new OffloadError('input', `the policy on standard input is larger than ${MAX_POLICY_BYTES} bytes (1 MiB)`);
  }
  return buf.toString('utf8', 0, n);
}

export function loadPolicyFile(file: string): Policy {
  return parsePolicyText(readPolicyFile(file), file);
}
