import type { Policy } from '../model/types.js';

/** Does a rule select by driver? (then the agent reads driver info; the fast path cannot plan from a template) */
export function policyUsesDriver(policy: Policy): boolean {
  return policy.rules.some((r) => r.select.driver || r.exclude?.driver);
}

/** Does a rule select by VM platform? (then the agent needs the VM index) */
export function policyUsesVm(policy: Policy): boolean {
  return policy.rules.some((r) => r.select.vmPlatform || r.exclude?.vmPlatform);
}
