import type { FeatureMap, Interface } from '../model/types.js';
import { blockingRules } from './dependencies.js';

/**
 * Features the owner of a tap (QEMU) decides with TUNSETOFFLOAD, from what the guest's virtio-net
 * driver negotiated: drivers/net/tun.c TUN_USER_FEATURES (NETIF_F_HW_CSUM, TSO, TSO_ECN, TSO6,
 * GSO_UDP_L4, and since 6.17 GSO_UDP_TUNNEL{,_CSUM}). tun_net_fix_features() ANDs the wanted bits
 * with tun->set_features, which is empty until set_offload() runs: a fresh tap shows
 * `tx-tcp-segmentation: off [requested on]`, and no ethtool request can turn these on
 * (netdev_update_features → ndo_fix_features drops them again). set_offload() also rewrites the
 * wanted bits of this set to what the guest negotiated.
 */
export const TUN_OFFLOAD_FEATURES: ReadonlySet<string> = new Set([
  'tx-checksum-ip-generic',
  'tx-tcp-segmentation',
  'tx-tcp-ecn-segmentation',
  'tx-tcp6-segmentation',
  'tx-udp-segmentation',
  'tx-udp_tnl-segmentation',
  'tx-udp_tnl-csum-segmentation',
]);

/**
 * Why a feature the policy wants ON is requested on but active off, when it is not the policy's
 * or the operator's to fix:
 * - 'guest': a VM's tap whose guest has not negotiated it (see TUN_OFFLOAD_FEATURES), directly or
 *   through features it needs (netdev_fix_features: mangleid needs TSO) that the guest holds;
 *   QEMU turns it on when the guest's driver asks for it. Not when something the policy turned
 *   off holds it (TSO with SG off): that is the policy's own dependency.
 * - 'ports': a bridge or bond with ports; its one-for-all bits are the OR of its ports'
 *   (netdev_increment_features), it is on as soon as one port has it.
 * null: not held (compliant, a fixable deviation, a fixed bit, or held by the policy's own
 * dependencies, e.g. TSO wanted on with SG off). One function for audit, apply's report and the
 * agent, so they agree. Pure.
 */
export type HeldBy = 'guest' | 'ports';

export function heldBy(
  iface: Pick<Interface, 'kind' | 'role' | 'features'>,
  feature: string,
  want: boolean,
  hasPorts: boolean,
): HeldBy | null {
  const st = iface.features[feature];
  if (!st || st.fixed || !want || !st.requested || st.active) return null;
  if (isGuestTap(iface) && guestControlled(feature, iface.features, 0)) return 'guest';
  if (hasPorts) return 'ports';
  return null;
}

/**
 * A VM's tap: a tun/tap device (IFLA_INFO_KIND "tun") or a macvtap (drivers/net/tap.c set_offload
 * → macvtap_update_features: the same TUNSETOFFLOAD bits) classified as a VM port.
 */
export function isGuestTap(iface: Pick<Interface, 'kind' | 'role'>): boolean {
  return (iface.kind === 'tun' || iface.kind === 'macvtap') && iface.role === 'vm-port';
}

/**
 * Requested on, active off, and nothing but the guest holds it: every dependency rule that blocks
 * it (plan/dependencies.ts, net/core/dev.c netdev_fix_features) is blocked by features the guest
 * holds, and it is a TUNSETOFFLOAD bit itself or held only through such rules.
 */
function guestControlled(feature: string, features: FeatureMap, depth: number): boolean {
  const st = features[feature];
  if (!st || !st.requested || st.active || st.fixed || depth > 3) return false;
  const rules = blockingRules(feature, (n) => features[n]?.active, features);
  for (const r of rules) {
    if (!r.anyOf.some((d) => d in features && guestControlled(d, features, depth + 1))) return false;
  }
  return TUN_OFFLOAD_FEATURES.has(feature) || rules.length > 0;
}

/** The features of one interface the policy wants on that its guest holds off (sorted). */
export function guestHeldFeatures(
  iface: Pick<Interface, 'kind' | 'role' | 'features'>,
  wanted: Record<string, { value: boolean }>,
): string[] {
  if (!isGuestTap(iface)) return [];
  return Object.keys(wanted)
    .filter((f) => heldBy(iface, f, wanted[f]!.value, false) === 'guest')
    .sort();
}
