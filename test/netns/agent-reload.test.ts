/**
 * SIGHUP: the agent re-reads its policy file. A bad file keeps the old policy (logged); a good one
 * is applied to every interface at once (a full reconcile), checked against the oracle.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipBatch } from '../../src/lab/netns.js';
import { agentNetns, agentSkip as skip, nonCompliant, oracle, waitFor, type OracleDevice } from './agent-harness.js';

const lab = agentNetns();
const dir = mkdtempSync(join(tmpdir(), 'olc-agent-reload-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const gsoOn = (d: OracleDevice | undefined) =>
  (d?.['generic-segmentation-offload'] as { active: boolean } | undefined)?.active;

test('SIGHUP: a bad policy keeps the old one; a good one is applied to every interface', { skip }, async () => {
  const policy = join(dir, 'policy.yaml');
  writeFileSync(
    policy,
    'name: site\nrules:\n  - name: vm-ports-off\n    select: {}\n    features: { tso: off, gso: off }\n',
  );
  const { ns, agent } = await lab.open('agrel', ['--policy', policy]);
  await ipBatch(ns, ['link add ra type veth peer name rb']);
  await waitFor(async () => nonCompliant(await oracle(ns), ['ra', 'rb']).length === 0, 5000, 'ra/rb enforced');

  writeFileSync(policy, 'name: site\nrules:\n  - select: {}\n    features: { tso: sideways }\n');
  process.kill(agent.child.pid!, 'SIGHUP');
  await waitFor(async () => agent!.logs.some((l) => l.includes('policy reload failed')), 3000, 'reload failure logged');
  assert.ok(
    agent.logs.some((l) => l.includes('policy.yaml') && l.includes('sideways')),
    'the log says why',
  );
  await ipBatch(ns, ['link add rc type veth peer name rd']);
  await waitFor(
    async () => nonCompliant(await oracle(ns), ['rc', 'rd']).length === 0,
    5000,
    'old policy still enforced',
  );

  writeFileSync(policy, 'name: site-on\nrules:\n  - select: { name: ["r*"] }\n    features: { gso: on }\n');
  process.kill(agent.child.pid!, 'SIGHUP');
  await waitFor(
    async () => {
      const o = await oracle(ns);
      return ['ra', 'rb', 'rc', 'rd'].every((n) => gsoOn(o.get(n)) === true);
    },
    5000,
    'new policy applied to existing interfaces',
  );
  assert.ok(agent.logs.some((l) => l.includes('"policy reloaded"') && l.includes('site-on')));
});
