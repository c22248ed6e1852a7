import { OffloadError } from '../model/errors.js';
import { KernelError } from './types.js';

/** KernelError → OffloadError with the matching category; anything else passes through unchanged. */
export function toOffloadError(e: unknown): unknown {
  if (!(e instanceof KernelError)) return e;
  const detail = { errno: e.errno, extack: e.extack, ifname: e.ifname, code: e.code };
  switch (e.code) {
    case 'not-found':
      return new OffloadError('not-found', e.message, detail);
    case 'permission-denied':
      return new OffloadError('permission', `${e.message} (needs root / CAP_NET_ADMIN)`, detail);
    case 'not-supported':
      return new OffloadError('unsupported', e.message, detail);
    case 'invalid':
      return new OffloadError('input', e.message, detail);
    default:
      return new OffloadError('system', e.message, detail);
  }
}
