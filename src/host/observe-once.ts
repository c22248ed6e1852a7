import { withKernel } from '../kernel/with-kernel.js';
import type { GlobalOptions } from '../model/global-options.js';
import type { Observation } from '../model/types.js';
import type { ObserveOptions } from './observe.js';

/** observe: the host as the kernel and the VM platforms describe it (opens and closes the kernel boundary). */
export async function observe(opts: GlobalOptions, observeOpts: ObserveOptions = {}): Promise<Observation> {
  const { observeHost } = await import('./observe.js');
  return withKernel(opts, (k) => observeHost(k, observeOpts));
}
