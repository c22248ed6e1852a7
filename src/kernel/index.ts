import type { KernelBackend } from './types.js';
import { KernelError } from './types.js';

export type { FeatureChannel, KernelBackend, KernelErrorCode, LinkRef, SetFeaturesResult, SetReply } from './types.js';
export { KernelError } from './types.js';

export type BackendChoice = 'auto' | 'netlink' | 'ethtool';

export interface OpenKernelOptions {
  /** auto (default): netlink when the kernel has the "ethtool" generic netlink family, else the ethtool CLI. */
  backend?: BackendChoice;
}

/**
 * Open the kernel boundary. Backends are imported lazily so a command loads only the one it uses.
 * Throws KernelError('not-supported') when `netlink` is asked for and the kernel has no ethtool
 * netlink family (kernels before 5.6, or CONFIG_ETHTOOL_NETLINK=n).
 */
export async function openKernel(opts: OpenKernelOptions = {}): Promise<KernelBackend> {
  const choice = opts.backend ?? 'auto';
  if (choice === 'ethtool') {
    const { EthtoolCliBackend } = await import('./ethtool-cli/backend.js');
    return new EthtoolCliBackend();
  }
  try {
    // The netlink package is a native addon: if it cannot load here, that is "no netlink" too.
    const { NetlinkBackend } = await import('./netlink/backend.js').catch((e: unknown) => {
      throw new KernelError('not-supported', `netlink backend unavailable: ${(e as Error).message}`);
    });
    return await NetlinkBackend.open();
  } catch (e) {
    if (choice === 'auto' && e instanceof KernelError && e.code === 'not-supported') {
      const { EthtoolCliBackend } = await import('./ethtool-cli/backend.js');
      return new EthtoolCliBackend();
    }
    throw e;
  }
}
