import type { Desired, FeatureMap, FeatureState, Interface, Observation, Role, VmRef } from '../model/types.js';
import { shortNameOf } from '../policy/short-names.js';
import { heldBy, type HeldBy } from '../plan/held-by-guest.js';

/**
 * Audit (pure): compare what the kernel reports (Observation) with what a policy wants (Desired).
 * A feature deviates when its ACTIVE value differs from the wanted one; `requested` is reported
 * alongside because the kernel keeps wanted bits while a dependency holds a feature off
 * (net/core/dev.c netdev_fix_features) and a tap's TSO stays "off [requested on]" until QEMU sets it.
 *
 * Deviating fixed features (not in hw_features, or NETIF_F_NEVER_CHANGE) are reported but marked
 * unchangeable; they do not make an interface non-compliant unless `strict` is set, because no
 * tool can change them and an audit that can never pass is useless for monitoring.
 *
 * Held features (plan/held-by-guest.ts): wanted on, requested on, active off because a VM's guest
 * has not negotiated them (a tap's TSO/checksum, TUNSETOFFLOAD) or because a bridge follows its
 * ports. No request changes them, so they are listed apart and count only with `strict` — the
 * same verdict apply's report and the agent give.
 */

export interface FeatureFinding {
  /** 'feature': active differs from wanted. 'latent': active is as wanted but requested is not, so
   *  the kernel brings it back when a dependency returns or a tap's owner (QEMU) re-enables it.
   *  'held': wanted on, requested on, kept off by the guest or the ports (see `heldBy`). */
  type: 'feature' | 'latent' | 'held';
  /** For type 'held': who holds it ('guest': the VM has not negotiated it; 'ports': a bridge follows its ports). */
  heldBy?: HeldBy;
  ifname: string;
  ifindex: number;
  role: Role;
  /** The VM the interface belongs to, when known. */
  vm: VmRef | null;
  /** Kernel feature name. */
  feature: string;
  /** ethtool short name covering the feature (tso, gso, sg ...), for the grouped human view. */
  shortName: string | null;
  expected: boolean;
  /** Active value (what the device does now). */
  actual: boolean;
  requested: boolean;
  /** Cannot be changed (fixed): reported, never counted unless strict. */
  fixed: boolean;
  /** The policy rule that wants `expected`. */
  rule: string;
}

/** A bridge port whose MTU differs from its bridge's (a separate kind of finding). */
export interface MtuFinding {
  type: 'mtu';
  ifname: string;
  ifindex: number;
  role: Role;
  bridge: string;
  mtu: number;
  bridgeMtu: number;
}

export interface InterfaceVerdict {
  ifname: string;
  ifindex: number;
  role: Role;
  /** Every wanted feature is active as wanted (unchangeable deviations ignored unless strict). */
  compliant: boolean;
  /** Number of wanted features checked. */
  checked: number;
  changeable: number;
  unchangeable: number;
  /** Wanted on but held off by the guest or the ports (counted only with strict). */
  held: number;
  mtuMismatch: boolean;
}

export interface AuditReport {
  policy: string;
  /** 'builtin' or the policy file. */
  source: string | null;
  takenAt: string;
  backend: string;
  strict: boolean;
  /** No counted deviation and no MTU mismatch: exit 0. */
  compliant: boolean;
  summary: {
    /** Interfaces in the observation (after --interface filtering). */
    observed: number;
    /** Interfaces the policy wants something of. */
    audited: number;
    compliant: number;
    deviating: number;
    changeable: number;
    unchangeable: number;
    mtuMismatches: number;
    /** Active as wanted but requested otherwise: not counted, reported. */
    latent: number;
    /** Held off by the guest (a tap) or the ports (a bridge): not counted unless strict. */
    held: number;
    heldByGuest: number;
  };
  interfaces: InterfaceVerdict[];
  /** Kernel names; `shortName` groups them for humans. */
  findings: FeatureFinding[];
  mtuMismatches: MtuFinding[];
  /** type 'latent' findings. */
  latent: FeatureFinding[];
  /** type 'held' findings. */
  held: FeatureFinding[];
}

export interface AuditOptions {
  /** Count unchangeable (fixed) deviations as non-compliance too. */
  strict?: boolean;
  /** Where to find bridges when `observation` was narrowed with --interface (default: itself). */
  context?: Observation;
  /** Policy source for the report. */
  source?: string;
}

function isBridge(i: Interface): boolean {
  return i.kind === 'bridge' || i.role === 'bridge';
}

/** One wanted object against one feature map: what differs, in feature-name order. */
interface Comparison {
  checked: number;
  differing: {
    feature: string;
    want: { value: boolean; rule: string };
    st: FeatureState;
    deviates: boolean;
    shortName: string | null;
  }[];
}

function compare(wanted: Desired['interfaces'][number]['features'], features: FeatureMap): Comparison {
  const out: Comparison = { checked: 0, differing: [] };
  for (const feature of Object.keys(wanted).sort()) {
    const want = wanted[feature]!;
    const st = features[feature];
    if (!st) continue; // the interface does not have it: nothing to want
    out.checked++;
    if (st.active === want.value && st.requested === want.value) continue;
    out.differing.push({ feature, want, st, deviates: st.active !== want.value, shortName: shortNameOf(feature) });
  }
  return out;
}

export function audit(observation: Observation, desired: Desired, opts: AuditOptions = {}): AuditReport {
  const strict = opts.strict ?? false;
  const wanted = new Map(desired.interfaces.map((d) => [d.ifindex, d]));
  const byName = new Map((opts.context ?? observation).interfaces.map((i) => [i.name, i]));
  const masters = new Set(
    (opts.context ?? observation).interfaces.map((i) => i.master).filter((m): m is string => m !== null),
  );

  const mtuMismatches: MtuFinding[] = [];
  for (const iface of observation.interfaces) {
    if (!iface.master) continue;
    const m = byName.get(iface.master);
    if (m && isBridge(m) && m.mtu !== iface.mtu) {
      mtuMismatches.push({
        type: 'mtu',
        ifname: iface.name,
        ifindex: iface.ifindex,
        role: iface.role,
        bridge: m.name,
        mtu: iface.mtu,
        bridgeMtu: m.mtu,
      });
    }
  }
  const mismatched = new Set(mtuMismatches.map((f) => f.ifindex));

  const findings: FeatureFinding[] = [];
  const latent: FeatureFinding[] = [];
  const held: FeatureFinding[] = [];
  const interfaces: InterfaceVerdict[] = [];
  // The comparison depends only on the two objects compared: resolvePolicy shares one wanted
  // object among the interfaces the same rules select, the netlink dump one feature map among
  // devices in the same state. So each distinct pair is compared once (1000 veths: one pair).
  const comparisons = new Map<object, Map<object, Comparison>>();
  for (const iface of observation.interfaces) {
    const d = wanted.get(iface.ifindex);
    if (!d || d.name !== iface.name) continue;
    let byFeatures = comparisons.get(d.features);
    if (!byFeatures) comparisons.set(d.features, (byFeatures = new Map()));
    let cmp = byFeatures.get(iface.features);
    if (!cmp) byFeatures.set(iface.features, (cmp = compare(d.features, iface.features)));
    let changeable = 0;
    let unchangeable = 0;
    let heldCount = 0;
    const hasPorts = masters.has(iface.name);
    for (const { feature, want, st, deviates, shortName } of cmp.differing) {
      const by = deviates ? heldBy(iface, feature, want.value, hasPorts) : null;
      if (by) heldCount++;
      else if (deviates && st.fixed) unchangeable++;
      else if (deviates) changeable++;
      const finding: FeatureFinding = {
        type: by ? 'held' : deviates ? 'feature' : 'latent',
        ifname: iface.name,
        ifindex: iface.ifindex,
        role: iface.role,
        vm: iface.vm,
        feature,
        shortName,
        expected: want.value,
        actual: st.active,
        requested: st.requested,
        fixed: st.fixed,
        rule: want.rule,
      };
      if (by) {
        // heldBy right after type, where the reports have always had it
        const { type, ...rest } = finding;
        held.push({ type, heldBy: by, ...rest });
      } else (deviates ? findings : latent).push(finding);
    }
    const checked = cmp.checked;
    interfaces.push({
      ifname: iface.name,
      ifindex: iface.ifindex,
      role: iface.role,
      compliant: changeable === 0 && (!strict || (unchangeable === 0 && heldCount === 0)),
      checked,
      changeable,
      unchangeable,
      held: heldCount,
      mtuMismatch: mismatched.has(iface.ifindex),
    });
  }

  const compliantCount = interfaces.filter((i) => i.compliant).length;
  const changeable = findings.filter((f) => !f.fixed).length;
  const unchangeable = findings.length - changeable;
  return {
    policy: desired.policy,
    source: opts.source ?? null,
    takenAt: observation.takenAt,
    backend: observation.backend,
    strict,
    compliant: compliantCount === interfaces.length && mtuMismatches.length === 0,
    summary: {
      observed: observation.interfaces.length,
      audited: interfaces.length,
      compliant: compliantCount,
      deviating: interfaces.length - compliantCount,
      changeable,
      unchangeable,
      mtuMismatches: mtuMismatches.length,
      latent: latent.length,
      held: held.length,
      heldByGuest: held.filter((f) => f.heldBy === 'guest').length,
    },
    interfaces,
    findings,
    mtuMismatches,
    latent,
    held,
  };
}
