import type {
  DesiredInterface,
  DriverInfo,
  FeatureMap,
  Interface,
  LinkInfo,
  Observation,
  Policy,
} from '../model/types.js';
import { interfaceOf } from '../host/observe.js';
import type { VmIndex } from '../host/vm.js';
import { sameDevice, type OvsPortFacts } from '../ovs/ports.js';
import { resolvePolicy } from '../policy/resolve.js';
import { ruleSelects } from '../policy/select.js';
import { classify, type Classified } from './reconcile.js';
import { policyUsesVm } from './policy-needs.js';

/**
 * The fast path's plans, shared by the links they fit. What the policy wants of a link and what a
 * set must change depend on the link only through its features (the template of its kind), the
 * rules that select it and whether it has ports: resolvePolicy expands each selecting rule's
 * features against the link's feature names, classify compares features with that. So for links
 * with the same (template, policy, selecting rules, has ports) the answer is computed once; only
 * the selection itself (role, name globs, master, VM) is evaluated per link. The same holds for
 * the state after the set: it follows from the template, the changes and the bits the kernel's
 * reply says changed, so the verification's classification is shared too.
 */
export interface FastPlan {
  readonly tpl: FeatureMap;
  readonly policy: Policy;
  readonly hasPorts: boolean;
  /** What the policy wants (null: no rule selects the link or wants nothing of it). */
  readonly features: DesiredInterface['features'] | null;
  readonly classified: Classified | null;
  /** The state after the set and its classification, by the reply's changed bits. */
  readonly after: Map<string, { next: FeatureMap; classified: Classified }>;
}

export interface PlannedLink {
  iface: Interface;
  d: DesiredInterface | null;
  plan: FastPlan;
}

const MAX_PLANS = 256;

/** What planning a new link reads of the agent's state (the agent's context has all of it). */
export interface PlanInputs {
  readonly cache: {
    readonly links: ReadonlyMap<number, LinkInfo>;
    readonly drivers: ReadonlyMap<number, DriverInfo>;
    readonly masters: ReadonlySet<number>;
  };
  readonly policy: Policy;
  readonly vmIndex: { get(ifnames: readonly string[]): VmIndex };
  /** Open vSwitch facts by kernel name (the agent's OVS view), when OVS is watched. */
  readonly ovs?: { readonly index: ReadonlyMap<string, OvsPortFacts> } | null;
  /** The plans so far, by template key and selection (a bounded cache this function fills). */
  readonly fastPath: { readonly plans: Map<string, FastPlan> };
}

/** The link observed with `tpl` as its features, what the policy wants of it, and the shared plan. */
export function planFor(
  ctx: PlanInputs,
  l: LinkInfo,
  tpl: FeatureMap,
  tplKey: string,
  backend: Observation['backend'],
): PlannedLink {
  const master = l.masterIndex !== null ? (ctx.cache.links.get(l.masterIndex) ?? null) : null;
  const vms = policyUsesVm(ctx.policy) ? ctx.vmIndex.get([l.name]) : undefined;
  const ovs = ctx.ovs?.index.get(l.name);
  const iface = interfaceOf(
    l,
    master,
    tpl,
    ctx.cache.drivers.get(l.ifindex) ?? null,
    vms,
    ovs && sameDevice(ovs, l) ? ovs : undefined,
  );
  const hasPorts = ctx.cache.masters.has(l.ifindex);
  let sel = hasPorts ? 'p' : '-';
  for (const r of ctx.policy.rules) sel += ruleSelects(r, iface) ? '1' : '0';
  const key = `${tplKey}\0${sel}`;
  let plan = ctx.fastPath.plans.get(key);
  if (!plan || plan.tpl !== tpl || plan.policy !== ctx.policy) {
    const d = resolvePolicy(ctx.policy, { takenAt: '', backend, interfaces: [iface] }).interfaces[0] ?? null;
    const managed = d !== null && Object.keys(d.features).length > 0;
    plan = {
      tpl,
      policy: ctx.policy,
      hasPorts,
      features: d?.features ?? null,
      classified: managed ? classify(iface, d, hasPorts) : null,
      after: new Map(),
    };
    if (ctx.fastPath.plans.size >= MAX_PLANS) ctx.fastPath.plans.clear();
    ctx.fastPath.plans.set(key, plan);
  }
  return { iface, d: plan.features ? { ifindex: l.ifindex, name: l.name, features: plan.features } : null, plan };
}

/**
 * The state after the set, from the reply: the template with every asked-for bit requested and
 * active as asked (the reply lists none that did not end so), and the other bits whose active
 * state the reply says changed (dependencies) flipped; with its classification. `changes` are the
 * plan's (decide turns plan.classified into them), so the reply's changed bits are the key.
 */
export function stateAfter(
  plan: FastPlan,
  iface: Interface,
  d: DesiredInterface,
  changes: Record<string, boolean>,
  changed: readonly string[],
  hasPorts: boolean,
): { next: FeatureMap; classified: Classified } {
  const key = changed.join(',');
  let a = hasPorts === plan.hasPorts ? plan.after.get(key) : undefined;
  if (a) return a;
  const next: FeatureMap = { ...plan.tpl };
  for (const [f, v] of Object.entries(changes)) {
    const st = next[f];
    if (st) next[f] = { ...st, requested: v, active: v };
  }
  for (const f of changed) {
    const st = next[f];
    if (st && !(f in changes)) next[f] = { ...st, active: !st.active };
  }
  Object.freeze(next); // shared by every link of the plan
  a = { next, classified: classify({ ...iface, features: next }, d, hasPorts) };
  if (hasPorts === plan.hasPorts && plan.after.size < 16) plan.after.set(key, a);
  return a;
}
