import { constants } from 'node:os';
import { KernelError, type KernelErrorCode } from '../types.js';

const E = constants.errno;

/** Positive errno → KernelErrorCode. */
export function errnoCode(errno: number): KernelErrorCode {
  switch (errno) {
    case E.ENODEV:
    case E.ENOENT:
    case E.ENXIO:
      return 'not-found';
    case E.EPERM:
    case E.EACCES:
      return 'permission-denied';
    case E.EOPNOTSUPP:
    case E.ENOTSUP:
    case E.EPROTONOSUPPORT:
      return 'not-supported';
    case E.EINVAL:
    case E.ERANGE:
      return 'invalid';
    case E.EBUSY:
    case E.EAGAIN:
      return 'busy';
    default:
      return 'io';
  }
}

export function errnoName(errno: number): string {
  for (const [name, v] of Object.entries(E)) if (v === errno) return name;
  return `errno ${errno}`;
}

/** Build the KernelError for a failed request; `what` names the operation, e.g. "FEATURES_SET eth0". */
export function kernelErrorFromErrno(
  errno: number,
  what: string,
  opts: { extack?: string | null; ifname?: string } = {},
): KernelError {
  const code = errnoCode(errno);
  const extack = opts.extack ?? undefined;
  let msg = `${what}: ${errnoName(errno)}`;
  if (code === 'not-found' && opts.ifname) msg = `no such device: ${opts.ifname}`;
  else if (code === 'permission-denied') msg = `${what}: permission denied (needs CAP_NET_ADMIN, run as root)`;
  if (extack) msg += ` (${extack})`;
  return new KernelError(code, msg, { errno, extack, ifname: opts.ifname });
}
