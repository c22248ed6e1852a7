import type { GlobalOptions } from '../model/global-options.js';
import { toOffloadError } from './offload-error.js';
import type { KernelBackend } from './types.js';

/**
 * What commands share: open the kernel boundary for the chosen backend, run fn, close it.
 * KernelErrors escaping fn become OffloadErrors (category → exit code) so the CLI prints one line.
 */
export async function withKernel<T>(opts: GlobalOptions, fn: (k: KernelBackend) => Promise<T>): Promise<T> {
  const { openKernel } = await import('./index.js');
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
