import { KernelError } from '../types.js';
import {
  decodeStrset,
  encodeStrsetFeatures,
  ETHTOOL_GENL_NAME,
  ETHTOOL_MCGRP_MONITOR_NAME,
  featureLayout,
  type FeatureLayout,
} from './ethtool-msg.js';
import { decodeFamily, encodeGetFamily, GENL_ID_CTRL, type GenlFamily } from './genl.js';
import type { NlSocket } from './socket.js';

/**
 * The "ethtool" generic netlink family as this kernel resolved it, once: its id, the "monitor"
 * multicast group (FEATURES_NTF), the feature names (string set ETH_SS_FEATURES, in bit order: the
 * list differs between kernels, so bits are never hard-coded) and the name → bit index. Everything
 * that speaks ethtool netlink (backend, monitor, feature channel) works from one of these.
 */
export interface EthtoolFamily {
  readonly id: number;
  readonly monitorGroup: number | null;
  readonly names: readonly string[];
  readonly bitOf: ReadonlyMap<string, number>;
  /** The compact-bitset decoding layout of `names` (built at first use). */
  layout(): FeatureLayout;
}

export function ethtoolFamily(genl: GenlFamily, names: readonly string[]): EthtoolFamily {
  const bitOf = new Map<string, number>();
  names.forEach((n, i) => n && bitOf.set(n, i));
  // featureLayout caches by the array's identity: every user of this family shares one layout
  return Object.freeze({
    id: genl.id,
    monitorGroup: genl.groups.get(ETHTOOL_MCGRP_MONITOR_NAME) ?? null,
    names,
    bitOf,
    layout: () => featureLayout(names),
  });
}

/** Resolve a generic netlink family by name. ENOENT → KernelError('not-supported'). */
export async function resolveFamily(sock: NlSocket, name: string): Promise<GenlFamily> {
  try {
    const r = await sock.request(GENL_ID_CTRL, encodeGetFamily(name), { what: `CTRL_CMD_GETFAMILY ${name}` });
    const msg = r.messages[0];
    if (!msg) throw new KernelError('not-supported', `generic netlink family "${name}" not found`);
    return decodeFamily(msg.payload);
  } catch (e) {
    if (e instanceof KernelError && e.code === 'not-found') {
      throw new KernelError(
        'not-supported',
        `the kernel has no "${name}" generic netlink family (ethtool netlink needs Linux 5.6+ with CONFIG_ETHTOOL_NETLINK)`,
        { errno: e.errno ?? undefined },
      );
    }
    throw e;
  }
}

/** The feature names (STRSET_GET of ETH_SS_FEATURES) on `sock`. */
export async function fetchFeatureNames(sock: NlSocket, familyId: number): Promise<string[]> {
  const r = await sock.request(familyId, encodeStrsetFeatures(), { what: 'STRSET_GET features' });
  for (const m of r.messages) {
    const names = decodeStrset(m.payload);
    if (names) return names;
  }
  throw new KernelError('not-supported', 'the kernel sent no ETH_SS_FEATURES string set');
}

/** Resolve the ethtool family and its feature names on `sock` (two round trips). */
export async function resolveEthtoolFamily(sock: NlSocket): Promise<EthtoolFamily> {
  const genl = await resolveFamily(sock, ETHTOOL_GENL_NAME);
  return ethtoolFamily(genl, await fetchFeatureNames(sock, genl.id));
}
