import type { FeatureMap } from '../model/types.js';

/**
 * Feature dependencies the kernel enforces when it computes a device's active features from the
 * requested ones (net/core/dev.c netdev_fix_features, measured on 6.18). A feature whose dependency
 * is off is dropped from `active` while its requested bit stays on, and it comes back on its own
 * when the dependency returns (`ethtool -K dev sg on` brings TSO and GSO back).
 *
 * Rules are listed in the order the kernel applies them; `anyOf` is satisfied when at least one of
 * the listed features (that the device has) will be active.
 */
export interface DependencyRule {
  features: readonly string[];
  anyOf: readonly string[];
  /** Why, in the kernel's words. */
  reason: string;
}

const TSO_SG = [
  'tx-tcp-segmentation',
  'tx-tcp-ecn-segmentation',
  'tx-tcp-mangleid-segmentation',
  'tx-tcp6-segmentation',
];

export const DEPENDENCIES: readonly DependencyRule[] = [
  // "TSO requires that SG is present as well." NETIF_F_ALL_TSO; on 6.18 accecn is not in it
  // (measured: `sg off` leaves tx-tcp-accecn-segmentation on).
  { features: TSO_SG, anyOf: ['tx-scatter-gather'], reason: 'TSO needs scatter-gather' },
  // "Dropping TSO features since no CSUM feature."
  {
    features: ['tx-tcp-segmentation', 'tx-tcp-ecn-segmentation'],
    anyOf: ['tx-checksum-ipv4', 'tx-checksum-ip-generic'],
    reason: 'IPv4 TSO needs IPv4 or generic tx checksumming',
  },
  {
    features: ['tx-tcp6-segmentation'],
    anyOf: ['tx-checksum-ipv6', 'tx-checksum-ip-generic'],
    reason: 'IPv6 TSO needs IPv6 or generic tx checksumming',
  },
  // Measured on 6.18: tx-checksum-ip-generic off also drops tx-udp-segmentation.
  {
    features: ['tx-udp-segmentation'],
    anyOf: ['tx-checksum-ip-generic', 'tx-checksum-ipv4', 'tx-checksum-ipv6'],
    reason: 'UDP segmentation needs tx checksumming',
  },
  // "TSO with IPv4 ID mangling requires IPv4 TSO be enabled"
  { features: ['tx-tcp-mangleid-segmentation'], anyOf: ['tx-tcp-segmentation'], reason: 'mangleid needs TSO' },
  // "TSO ECN requires that TSO is present as well."
  {
    features: ['tx-tcp-ecn-segmentation'],
    anyOf: ['tx-tcp-segmentation', 'tx-tcp6-segmentation', 'tx-tcp-mangleid-segmentation'],
    reason: 'TSO ECN needs TSO',
  },
  // "Software GSO depends on SG."
  { features: ['tx-generic-segmentation'], anyOf: ['tx-scatter-gather'], reason: 'GSO needs scatter-gather' },
  // "NETIF_F_GRO_HW implies doing RXCSUM"
  { features: ['rx-gro-hw'], anyOf: ['rx-checksum'], reason: 'hardware GRO needs rx checksumming' },
];

/** Every feature a rule mentions (dependent or prerequisite): the only ones whose active state can move. */
const RULE_NAMES: readonly string[] = [...new Set(DEPENDENCIES.flatMap((r) => [...r.features, ...r.anyOf]))];

/** Which rules hold `feature` off given (predicted) active values (empty: none). */
export function blockingRules(
  feature: string,
  active: (name: string) => boolean | undefined,
  features: FeatureMap,
): DependencyRule[] {
  return DEPENDENCIES.filter(
    (r) =>
      r.features.includes(feature) &&
      r.anyOf.some((d) => d in features) && // a device without any of them is not constrained by the rule
      !r.anyOf.some((d) => active(d) === true),
  );
}

/**
 * Predict active states after the requested bits in `set` are applied (the others keep their
 * requested value). Returns the features whose state can be predicted to move or matter: those in
 * `set` and those the dependency rules mention; any other feature keeps its current active value.
 *
 * Starts from the requested bits (fixed features keep their active value), keeps off what the device
 * holds off today for reasons outside this model (a tap's owner via TUNSETOFFLOAD, a driver's
 * fix_features), then drops features whose dependencies end off, in the kernel's order.
 */
export function predictActive(features: FeatureMap, set: Readonly<Record<string, boolean>>): Record<string, boolean> {
  const today = (name: string) => features[name]?.active;
  const out: Record<string, boolean> = {};
  const consider = (name: string) => {
    const st = features[name];
    if (!st || name in out) return;
    if (st.fixed) {
      out[name] = st.active;
      return;
    }
    const requested = set[name] ?? st.requested;
    // Held today: requested on, active off, and no dependency rule explains it.
    const held = st.requested && !st.active && blockingRules(name, today, features).length === 0;
    out[name] = requested && !held;
  };
  for (const name of Object.keys(set)) consider(name);
  for (const name of RULE_NAMES) consider(name);
  for (const rule of DEPENDENCIES) {
    if (!rule.anyOf.some((d) => d in features)) continue;
    if (rule.anyOf.some((d) => out[d] === true)) continue;
    for (const f of rule.features) if (f in out && !features[f]!.fixed) out[f] = false;
  }
  return out;
}

/** predicted[name], or the current active value for features the prediction does not cover. */
export function activeAfter(predicted: Record<string, boolean>, features: FeatureMap, name: string): boolean {
  return predicted[name] ?? features[name]?.active ?? false;
}

/**
 * True when turning the features in `set` off cannot move any other feature: every feature a rule
 * would drop along with them is fixed, already off, or being turned off too (tso-gso-off turns off
 * the whole TSO family at once). Then predictActive is not needed: after the change each set
 * feature is off and everything else keeps its state. A cheap test for the common case.
 */
export function turnsOffOnly(features: FeatureMap, set: Readonly<Record<string, boolean>>): boolean {
  for (const name in set) if (set[name]) return false;
  for (const rule of DEPENDENCIES) {
    if (!rule.anyOf.some((d) => d in set)) continue;
    for (const f of rule.features) {
      const st = features[f];
      if (st && !st.fixed && st.active && !(f in set)) return false;
    }
  }
  return true;
}
