import type { KernelBackend } from '../kernel/types.js';
import type { Desired, Observation, Policy } from '../model/types.js';
import { OffloadError } from '../model/errors.js';
import type { ObserveOptions } from '../host/observe.js';
import { plan } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';

export interface PlanInput {
  policy: Policy;
  /** `--interface` globs; empty: every interface the policy selects. */
  interfaces: readonly string[];
  /** --allow-empty: globs that select nothing are not an error. */
  allowEmpty?: boolean;
  observe?: ObserveOptions;
}

export interface Planned {
  observation: Observation;
  desired: Desired;
  plan: Plan;
}

/**
 * observe → desire → plan, on one open kernel. The plan sees the whole host (stages need every
 * bridge port) while the desired state is limited to `--interface`.
 */
export async function observeAndPlan(kernel: KernelBackend, input: PlanInput): Promise<Planned> {
  const [{ observeHost }, policyMod] = await Promise.all([import('../host/observe.js'), import('../policy/lazy.js')]);
  const observation = await observeHost(kernel, input.observe ?? {});
  const scoped = policyMod.filterInterfaces(observation, [...input.interfaces]);
  policyMod.requireSelection(
    input.interfaces,
    scoped.interfaces.length,
    observation.interfaces.length,
    input.allowEmpty,
  );
  const desired = policyMod.resolvePolicy(input.policy, scoped);
  return { observation, desired, plan: plan(observation, desired) };
}

/** Validate `--interface` globs before anything touches the kernel. */
export async function checkGlobs(globs: readonly string[]): Promise<void> {
  const { globProblem } = await import('../policy/lazy.js');
  for (const g of globs) {
    const problem = globProblem(g);
    if (problem) throw new OffloadError('usage', `invalid --interface "${g}": ${problem}`);
  }
}
