import type { Desired, DesiredInterface, Interface, Observation } from '../model/types.js';
import { activeAfter, blockingRules, predictActive, turnsOffOnly } from './dependencies.js';
import { heldBy } from './held-by-guest.js';
import type { Plan, PlannedChange, Skipped } from './types.js';
import { ovsHeldDetail, ovsHoldsOff, ovsOwnFeatures } from '../ovs/plan-facts.js';

/** Drivers of software devices: changing their features never resets a physical link. */
const VIRTUAL_DRIVERS = new Set([
  'veth',
  'bridge',
  'tun',
  'tap',
  'macvlan',
  'macvtap',
  'vxlan',
  'geneve',
  'ifb',
  'dummy',
  'bonding',
  'bond',
  '802.1Q VLAN Support',
  'vlan',
  '8021q',
  'openvswitch',
  'team',
  'ipvlan',
  'gre',
  'vrf',
  'xen-netback',
  'vif',
]);

/**
 * Compute the changes that bring `observation` to `desired`. Pure.
 *
 * Kernel rules it respects (net/core/dev.c):
 * - Fixed features (not in hw_features, or NETIF_F_NEVER_CHANGE) cannot change: reported in
 *   `skipped`, never attempted.
 * - It compares and sets *requested* bits. A feature held off by a dependency (TSO while SG is off)
 *   keeps its requested bit; if the policy wants it on, there is nothing to set (it returns with its
 *   dependency) and the plan says so instead of re-setting it.
 * - Turning off SG or tx checksumming takes TSO/GSO off with it: listed in `effects`.
 * - Bridges and bonds recompute their features from their ports (br_features_recompute,
 *   netdev_increment_features): they are planned in a later stage than their ports.
 */
export function plan(observation: Observation, desired: Desired): Plan {
  const byIndex = new Map(observation.interfaces.map((i) => [i.ifindex, i]));
  const byName = new Map(observation.interfaces.map((i) => [i.name, i]));
  const stages = computeStages(observation.interfaces);
  const changes: PlannedChange[] = [];
  const skipped: Skipped[] = [];
  const compliant: string[] = [];
  const memo = new PlanMemo();

  for (const d of desired.interfaces) {
    const iface = byIndex.get(d.ifindex) ?? byName.get(d.name);
    if (!iface) {
      for (const f of Object.keys(d.features))
        skipped.push({ ifname: d.name, feature: f, reason: 'absent', detail: 'interface not observed' });
      continue;
    }
    const r = memo.plan(iface, d, stages.get(iface.name) ?? 0);
    for (const x of r.skipped) skipped.push(x);
    if (r.change) changes.push(r.change);
    else if (!r.skipped.some((s) => s.reason === 'fixed' || s.reason === 'held')) compliant.push(iface.name);
  }
  changes.sort((a, b) => a.stage - b.stage || a.ifindex - b.ifindex);
  return { policy: desired.policy, observedAt: observation.takenAt, changes, skipped, compliant };
}

type Planned = ReturnType<typeof planInterface>;

/**
 * planInterface, worked out once per kind of interface: what it plans depends on the wanted
 * object and the feature map (resolvePolicy and the netlink dump share one of each among alike
 * interfaces), the stage, and kind, role and driver; the name and index are only copied in. So
 * 1000 veths are planned once and the result is copied 999 times (set, why, effects and warnings
 * are shared, read-only). Not for OVS ports (their OVSDB facts count) nor when a feature is
 * absent (its detail names the interface).
 */
class PlanMemo {
  private readonly byWanted = new Map<object, Map<object, Map<string, { planned: Planned } | null>>>();

  plan(iface: Interface, d: DesiredInterface, stage: number): Planned {
    if (iface.ovs) return planInterface(iface, d, stage);
    let byFeatures = this.byWanted.get(d.features);
    if (!byFeatures) this.byWanted.set(d.features, (byFeatures = new Map()));
    let byKey = byFeatures.get(iface.features);
    if (!byKey) byFeatures.set(iface.features, (byKey = new Map()));
    const key = `${stage}\0${iface.kind}\0${iface.role}\0${iface.driver}`;
    const known = byKey.get(key);
    if (known === null) return planInterface(iface, d, stage);
    if (known === undefined) {
      const planned = planInterface(iface, d, stage);
      byKey.set(key, planned.skipped.some((x) => x.reason === 'absent') ? null : { planned });
      return planned;
    }
    const { change, skipped } = known.planned;
    return {
      change: change && { ...change, ...changeIdentity(iface) },
      skipped: skipped.map((x) => ({ ...x, ifname: iface.name })),
    };
  }
}

/** Plan one interface. Exported for apply's per-stage re-planning. */
export function planInterface(
  iface: Interface,
  d: DesiredInterface,
  stage: number,
): { change: PlannedChange | null; skipped: Skipped[] } {
  const skipped: Skipped[] = [];
  const set: Record<string, boolean> = {};
  const why: Record<string, string> = {};
  const unchanged: string[] = [];
  for (const [feature, { value, rule }] of Object.entries(d.features)) {
    const st = iface.features[feature];
    if (!st) {
      skipped.push({ ifname: iface.name, feature, reason: 'absent', detail: `${iface.name} has no ${feature}` });
    } else if (value && !st.active && ovsHoldsOff(iface, feature)) {
      skipped.push({ ifname: iface.name, feature, reason: 'held', detail: ovsHoldsOff(iface, feature)! });
    } else if (st.fixed) {
      if (st.active === value)
        skipped.push({ ifname: iface.name, feature, reason: 'already', detail: `fixed ${onOff(value)}` });
      else
        skipped.push({
          ifname: iface.name,
          feature,
          reason: 'fixed',
          detail: `fixed ${onOff(st.active)} for this device`,
        });
    } else if (st.requested !== value) {
      set[feature] = value;
      why[feature] = rule;
    } else unchanged.push(feature);
  }

  // Common case (a policy turning features off, whole families at once): nothing else can move.
  const offOnly =
    unchanged.every((f) => !d.features[f]!.value && !iface.features[f]!.active) && turnsOffOnly(iface.features, set);
  const predicted = offOnly ? {} : predictActive(iface.features, set);
  const after = offOnly
    ? (name: string) => set[name] ?? iface.features[name]?.active ?? false
    : (name: string) => activeAfter(predicted, iface.features, name);
  // An OVS internal port has ports but its features are its own (src/ovs/plan-facts.ts).
  const hasPorts = stage > 0 && !ovsOwnFeatures(iface);

  for (const feature of unchanged) {
    const value = d.features[feature]!.value;
    const st = iface.features[feature]!;
    if (after(feature) === value) {
      const detail = st.active !== value ? `returns ${onOff(value)} with its dependencies` : undefined;
      skipped.push({ ifname: iface.name, feature, reason: 'already', ...(detail ? { detail } : {}) });
    } else if (hasPorts && value) {
      // A master's one-for-all bits are OR-ed over its ports (netdev_increment_features).
      skipped.push({ ifname: iface.name, feature, reason: 'already', detail: 'follows its ports' });
    } else {
      const by = heldBy(iface, feature, value, false);
      skipped.push({
        ifname: iface.name,
        feature,
        reason: 'held',
        detail: heldDetail(feature, predicted, iface, hasPorts),
        ...(by ? { heldBy: by } : {}),
      });
    }
  }

  if (Object.keys(set).length === 0) return { change: null, skipped };

  const warnings: string[] = [];
  for (const [feature, value] of Object.entries(set)) {
    if (value && !after(feature)) {
      warnings.push(`${feature} is requested on but stays off: ${heldDetail(feature, predicted, iface, hasPorts)}`);
    }
  }
  const effects: Record<string, boolean> = {};
  // Only features a dependency rule mentions can move without being set.
  for (const [name, v] of Object.entries(predicted)) {
    const st = iface.features[name]!;
    if (name in set || st.fixed) continue;
    if (v !== st.active) effects[name] = v;
  }
  const offEffects = Object.entries(effects)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (offEffects.length > 0) {
    warnings.push(`the kernel also turns off ${offEffects.join(', ')} (dependencies; requested bits stay on)`);
  }
  if (isPhysical(iface)) {
    warnings.push(
      `physical NIC${iface.driver ? ` (driver ${iface.driver})` : ''}: the driver may reset the link when features change`,
    );
  }
  return {
    change: {
      ...changeIdentity(iface),
      stage,
      set,
      why,
      effects,
      warnings,
    },
    skipped,
  };
}

/** The fields of a Change that name its interface (a memoised plan is copied with another's). */
function changeIdentity(iface: Interface) {
  return {
    ifname: iface.name,
    ifindex: iface.ifindex,
    role: iface.role,
    kind: iface.kind,
    driver: iface.driver,
    master: iface.master,
  };
}

export const GUEST_HELD_DETAIL = 'held by the guest: QEMU turns it on when the guest negotiates it (TUNSETOFFLOAD)';

function heldDetail(feature: string, predicted: Record<string, boolean>, iface: Interface, hasPorts: boolean): string {
  // As it will be: requested on (set or kept), active off.
  const asHeld = {
    ...iface,
    features: { ...iface.features, [feature]: { requested: true, active: false, fixed: false } },
  };
  if (heldBy(asHeld, feature, true, false) === 'guest') return GUEST_HELD_DETAIL;
  const rules = blockingRules(feature, (n) => activeAfter(predicted, iface.features, n), iface.features);
  if (rules.length > 0) {
    return rules.map((r) => `${r.reason} (${r.anyOf.filter((f) => f in iface.features).join(' or ')} off)`).join('; ');
  }
  const ovs = ovsHeldDetail(iface);
  if (ovs) return ovs;
  if (iface.kind === 'tun') return 'a tap can only offload what its owner (QEMU) enabled with TUNSETOFFLOAD';
  if (hasPorts) return 'follows its ports';
  return 'held off by the driver';
}

export function isPhysical(iface: Interface): boolean {
  if (iface.role === 'uplink' || iface.role === 'physical') return true;
  if (iface.role === 'loopback' || iface.kind !== null) return false;
  return iface.driver !== null && !VIRTUAL_DRIVERS.has(iface.driver);
}

/**
 * Stage of each interface: 0 without ports; a master (bridge, bond) comes one stage after the
 * highest stage of its ports, so a bridge on a bond on NICs is planned NICs → bond → bridge.
 */
export function computeStages(interfaces: readonly Interface[]): Map<string, number> {
  const ports = new Map<string, string[]>();
  for (const i of interfaces) {
    if (i.master) (ports.get(i.master) ?? ports.set(i.master, []).get(i.master)!).push(i.name);
  }
  const stage = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (name: string): number => {
    const known = stage.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return 0; // a loop cannot exist in the kernel; be safe anyway
    visiting.add(name);
    const ps = ports.get(name) ?? [];
    const s = ps.length === 0 ? 0 : 1 + Math.max(...ps.map(visit));
    visiting.delete(name);
    stage.set(name, s);
    return s;
  };
  for (const i of interfaces) visit(i.name);
  return stage;
}

function onOff(v: boolean): string {
  return v ? 'on' : 'off';
}
