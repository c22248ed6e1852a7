import { yamlLib } from './lazy-deps.js';
import type { Policy } from '../model/types.js';

/** A policy as a policy file (what `offloadctl profiles NAME` prints: a starting point to edit). */
export function policyToYaml(policy: Policy): string {
  const doc: Record<string, unknown> = { name: policy.name };
  if (policy.description) doc.description = policy.description;
  if (policy.extends) doc.extends = policy.extends;
  doc.rules = policy.rules.map((r) => {
    const out: Record<string, unknown> = {};
    if (r.name) out.name = r.name;
    out.select = r.select;
    if (r.exclude) out.exclude = r.exclude;
    out.features = r.features;
    return out;
  });
  return yamlLib().stringify(doc, { lineWidth: 100 });
}
