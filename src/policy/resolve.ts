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
  const shapes: { known: string[]; cache: Map<string, string[]> }[] = [];
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
        if (!last) shapes.push((last = { known, cache: new Map() }));
      }
      if (Object.isFrozen(iface.features)) shapeOf.set(iface.features, last);
    }
    const known = last.known;
    const cache = last.cache;
    const features: DesiredInterface['features'] = {};
    let any = false;
    for (const [i, rule] of policy.rules.entries()) {
      if (!ruleSelects(rule, iface)) continue;
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
    if (any) interfaces.push({ ifindex: iface.ifindex, name: iface.name, features });
  }
  return { policy: policy.name, interfaces };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
