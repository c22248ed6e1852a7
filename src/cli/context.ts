import type { KernelBackend } from '../kernel/types.js';
import { KernelError } from '../kernel/types.js';
import type { Observation } from '../model/types.js';
import { OffloadError } from '../model/errors.js';
import type { GlobalOptions } from './action.js';
import type { ObserveOptions } from '../host/observe.js';

/**
 * What commands share: open the kernel boundary for the chosen backend, run fn, close it.
 * KernelErrors escaping fn become OffloadErrors (category → exit code) so the CLI prints one line.
 */
export async function withKernel<T>(opts: GlobalOptions, fn: (k: KernelBackend) => Promise<T>): Promise<T> {
  const { openKernel } = await import('../kernel/index.js');
  let kernel: KernelBackend;
  try {
    kernel = await openKernel({ backend: opts.backend ?? 'auto' });
  } catch (e) {
    throw toOffloadError(e);
  }
  try {
    return await fn(kernel);
  } catch (e) {
    throw toOffloadError(e);
  } finally {
    kernel.close();
  }
}

/** observe: the host as the kernel and the VM platforms describe it. */
export async function observe(opts: GlobalOptions, observeOpts: ObserveOptions = {}): Promise<Observation> {
  const { observeHost } = await import('../host/observe.js');
  return withKernel(opts, (k) => observeHost(k, observeOpts));
}

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
