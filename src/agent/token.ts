import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { OffloadError } from '../model/errors.js';

/**
 * The bearer token for mutating API calls, read from a file that only its owner can read (mode
 * 0600 or stricter). A token file readable by group or others is refused: anyone who can read it
 * could switch the agent to report mode on a whole hypervisor.
 */
export function readTokenFile(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new OffloadError('input', `token file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (!st.isFile()) throw new OffloadError('input', `token file ${path} is not a regular file`);
  if ((st.mode & 0o077) !== 0) {
    throw new OffloadError(
      'input',
      `token file ${path} has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; it must not be readable by group or others (chmod 600)`,
    );
  }
  const token = readFileSync(path, 'utf8').trim();
  if (token.length < 16)
    throw new OffloadError('input', `token file ${path}: the token must be at least 16 characters`);
  return token;
}

/** Compare an Authorization header with the token in constant time. No token configured → never. */
export function checkBearer(header: string | undefined, token: string | null): boolean {
  if (!token || !header) return false;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return false;
  const a = createHash('sha256').update(m[1]!).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}
