import type { Desired, DesiredInterface, Observation, Policy } from '../model/types.js';
import { ruleSelects } from './select.js';
import { expandFeatureName } from './short-names.js';

/**
 * What the policy wants on each observed interface (pure). Each rule's feature names are expanded
 * against the interface's OWN kernel feature list, so `tso` covers tx-tcp-accecn-segmentation only
 * where the kernel reports it, and a kernel name the interface lacks is simply not wanted there.
 * Rules apply in order; a later rule overrides an earlier one feature by feature. Interfaces no
 * rule wants anything of are left out.
 */
export function resolvePolicy(policy: Policy, observation: Observation): Desired {
  const interfaces: DesiredInterface[] = [];
  // Interfaces of one kind share one feature list: expand each name once per distinct list. Lists
  // are compared element by element with the few seen so far (the last one first), not joined into
  // a string key: 1000 × 60 names hashed per call cost more than the expansions.
  // `byRules`: the features object for a set of selecting rules (their indexes joined): interfaces of
  // one shape selected by the same rules want the same, so they share one object (read-only
  // downstream) instead of 1000 copies of {value, rule} per feature (audit and plan then also see
  // the same object and work per distinct object).
  const shapes: {
    known: string[];
    cache: Map<string, string[]>;
    byRules: Map<string, DesiredInterface['features'] | null>;
  }[] = [];
  let last: (typeof shapes)[number] | undefined;
  // The netlink dump shares one feature map among the devices in the same state: seen that map
  // (the same object) before, the same list, without listing its 64 names again.
  const shapeOf = new Map<object, (typeof shapes)[number]>();
  for (const iface of observation.interfaces) {
    const seen = shapeOf.get(iface.features);
    if (seen) last = seen;
    else {
      const known = Object.keys(iface.features);
      if (!last || !sameList(last.known, known)) {
        last = shapes.find((s) => sameList(s.known, known));
        if (!last) shapes.push((last = { known, cache: new Map(), byRules: new Map() }));
      }
      if (Object.isFrozen(iface.features)) shapeOf.set(iface.features, last);
    }
    let selected = '';
    for (let i = 0; i < policy.rules.length; i++) if (ruleSelects(policy.rules[i]!, iface)) selected += `${i},`;
    let features = last.byRules.get(selected);
    if (features === undefined) {
      features = wantedFeatures(policy, selected, last.known, last.cache);
      last.byRules.set(selected, features);
    }
    if (features) interfaces.push({ ifindex: iface.ifindex, name: iface.name, features });
  }
  return { policy: policy.name, interfaces };
}

/** What the rules `selected` names (indexes, each followed by a comma) want of a feature list; null: nothing. */
function wantedFeatures(
  policy: Policy,
  selected: string,
  known: string[],
  cache: Map<string, string[]>,
): DesiredInterface['features'] | null {
  const features: DesiredInterface['features'] = {};
  let any = false;
  for (const index of selected.split(',')) {
    if (index === '') continue;
    const i = Number(index);
    const rule = policy.rules[i]!;
    const ruleName = rule.name ?? `rule ${i + 1}`;
    for (const [name, value] of Object.entries(rule.features)) {
      let expanded = cache.get(name);
      if (!expanded) cache.set(name, (expanded = expandFeatureName(name, known)));
      for (const k of expanded) {
        features[k] = { value: value === 'on', rule: ruleName };
        any = true;
      }
    }
  }
  return any ? features : null;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
