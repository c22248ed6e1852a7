/**
 * Test helper (not a test): observe + plan tso-gso-off in this process's namespace, print the plan's
 * interfaces as one JSON line, wait for a line on stdin (the test deletes an interface meanwhile),
 * then apply with the real kernel backend and print the report as one JSON line.
 *
 *   ip netns exec NS node --import tsx test/netns/apply-probe.ts STATE_DIR
 */
import { createInterface } from 'node:readline';
import { openKernel } from '../../src/kernel/index.js';
import { loadPolicy } from '../../src/policy/index.js';
import { observeAndPlan } from '../../src/apply/pipeline.js';
import { applyPlan } from '../../src/apply/apply.js';
import { SnapshotStore } from '../../src/apply/store.js';

const stateDir = process.argv[2]!;
const kernel = await openKernel({ backend: 'netlink' });
try {
  const p = await observeAndPlan(kernel, { policy: loadPolicy({ profile: 'tso-gso-off' }), interfaces: [] });
  process.stdout.write(JSON.stringify({ planned: p.plan.changes.map((c) => c.ifname) }) + '\n');
  const rl = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => rl.once('line', () => resolve()));
  rl.close();
  const report = await applyPlan(kernel, p.observation, p.desired, p.plan, {
    store: new SnapshotStore(stateDir),
  });
  process.stdout.write(JSON.stringify(report) + '\n');
} finally {
  kernel.close();
}
