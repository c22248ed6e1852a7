import type { KernelBackend } from '../../kernel/types.js';
import type { Policy } from '../../model/types.js';
import { OffloadError } from '../../model/errors.js';
import { observeAndPlan } from '../../apply/pipeline.js';
import { applyPlan } from '../../apply/apply.js';
import { restoreSnapshot } from '../../apply/restore.js';
import { SnapshotStore, currentNetns, sameNetns } from '../../apply/store.js';
import type { ApplyReport, RestoreReport } from '../../apply/types.js';
import type { Plan } from '../../plan/types.js';
import { loadProfile } from '../../policy/lazy.js';
import { parsePolicyText } from '../../policy/parse.js';

/**
 * The page's actions, through the same pipeline as `offloadctl plan/apply/restore` (observe → desire
 * → plan → snapshot durably → change → verify; restore replays the snapshot). Each action opens its
 * own kernel handle: the agent's sockets stay the agent's (two dumps on one netlink socket collide).
 */
export interface ActionDeps {
  openKernel: () => Promise<KernelBackend>;
  stateDir: string;
  /** The agent's mode and policy name: applying another policy while the agent enforces its own would be undone as drift. */
  agentMode: () => string;
  agentPolicy: () => string;
}

/** `{"profile":"offloads-on"}` or `{"policy":"<YAML text>"}` → a Policy (bad input: OffloadError 'input'/'usage'). */
export function policyFromBody(body: { profile?: unknown; policy?: unknown }): Policy {
  if (typeof body.profile === 'string' && body.policy === undefined) return loadProfile(body.profile);
  if (typeof body.policy === 'string' && body.profile === undefined) return parsePolicyText(body.policy, '(page)');
  throw new OffloadError('usage', 'give "profile" (a built-in profile name) or "policy" (policy YAML), not both');
}

async function withKernel<T>(deps: ActionDeps, fn: (k: KernelBackend) => Promise<T>): Promise<T> {
  const k = await deps.openKernel();
  try {
    return await fn(k);
  } finally {
    k.close();
  }
}

/** How long a page action waits for another apply/restore to finish (the HTTP request waits too). */
const LOCK_TIMEOUT_SECONDS = 20;

/** The request is sound but the agent's state forbids it now (HTTP 409). */
export class ConflictError extends Error {}

export interface PlanPreview {
  policy: string;
  plan: Plan;
  /** Set when applying would be refused now (the agent enforces another policy). */
  conflict: string | null;
}

function conflict(deps: ActionDeps, policy: Policy): string | null {
  if (deps.agentMode() !== 'enforce' || policy.name === deps.agentPolicy()) return null;
  return `the agent enforces policy "${deps.agentPolicy()}": it would undo "${policy.name}" as drift. Switch the agent to report mode first.`;
}

export async function previewPlan(deps: ActionDeps, policy: Policy): Promise<PlanPreview> {
  const planned = await withKernel(deps, (k) =>
    observeAndPlan(k, { policy, interfaces: [], observe: { skipDrivers: false } }),
  );
  return { policy: policy.name, plan: planned.plan, conflict: conflict(deps, policy) };
}

export async function applyPolicy(deps: ActionDeps, policy: Policy): Promise<ApplyReport> {
  const c = conflict(deps, policy);
  if (c) throw new ConflictError(c);
  const store = new SnapshotStore(deps.stateDir);
  // As `offloadctl apply`: the lock before observing, so a concurrent apply's snapshot cannot be stale.
  const unlock = await store.lock({ timeoutSeconds: LOCK_TIMEOUT_SECONDS });
  try {
    return await withKernel(deps, async (k) => {
      const planned = await observeAndPlan(k, { policy, interfaces: [] });
      return applyPlan(k, planned.observation, planned.desired, planned.plan, { store });
    });
  } finally {
    unlock();
  }
}

/** Undo an apply: put back the snapshot's requested bits (as `offloadctl restore ID`). */
export async function restoreById(deps: ActionDeps, id: string): Promise<RestoreReport> {
  const store = new SnapshotStore(deps.stateDir);
  const unlock = await store.lock({ timeoutSeconds: LOCK_TIMEOUT_SECONDS });
  try {
    const snap = store.read(id);
    if (!sameNetns(snap, currentNetns()))
      throw new OffloadError('input', `snapshot ${id} was taken in another network namespace`);
    const report = await withKernel(deps, (k) => restoreSnapshot(k, snap, store.entries(id)));
    if (report.counts.failed === 0) {
      const j = store.journal(id);
      try {
        j.append({ op: 'restored', at: new Date().toISOString() });
      } finally {
        j.close();
      }
    }
    return report;
  } finally {
    unlock();
  }
}

/** The snapshots the page can undo, newest first. */
export function listSnapshots(deps: ActionDeps): unknown[] {
  return new SnapshotStore(deps.stateDir).list().reverse().slice(0, 20);
}
