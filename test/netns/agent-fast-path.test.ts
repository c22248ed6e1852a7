/**
 * The fast path for new links (src/agent/fast-path.ts): a new tap is planned at its RTM_NEWLINK
 * (from the first tap's features as template), set with one FEATURES_SET whose reply verifies it,
 * journaled before, and counted once in the delay histogram; links that vanish or are renamed while
 * their set is on the way fall back to the batch path without errors or leftover series; a fresh
 * veth (another template) is handled too. Checked against the oracle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ipBatch } from '../../src/lab/netns.js';
import {
  agentNetns,
  agentSkip as skip,
  metricValue,
  metricsText,
  nonCompliant,
  oracle,
  sleep,
  waitFor,
} from './agent-harness.js';

const lab = agentNetns();

test('fast path: taps and veths set at their event, verified, journaled, counted once each', { skip }, async () => {
  const { ns, agent } = await lab.open('afast', ['--log-level', 'debug']);
  const taps = [...Array(60).keys()].map((i) => `ft${i}`);
  await ipBatch(ns, [...taps.map((n) => `tuntap add dev ${n} mode tap`), 'link add fva type veth peer name fvb']);
  const names = [...taps, 'fva', 'fvb'];
  await waitFor(async () => nonCompliant(await oracle(ns), names).length === 0, 10_000, 'all compliant');
  await waitFor(
    async () =>
      metricValue(await metricsText(ns, agent.port), 'offloadctl_enforcement_delay_seconds_count') === names.length,
    3000,
    'histogram counts each once',
  );
  const fast = agent.logs.filter((l) => l.includes('"msg":"fast"'));
  assert.ok(fast.length > 0, 'the fast path ran');
  const enforced = new Set(
    agent.logs
      .filter((l) => l.includes('"msg":"enforce"'))
      .map((l) => (JSON.parse(l) as { interface: string }).interface),
  );
  for (const n of names) assert.ok(enforced.has(n), `${n}: enforce logged`);
  const journal = readFileSync(join(agent.dir, 'state', 'agent-journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { ifname: string; before: Record<string, boolean> });
  for (const n of names)
    assert.ok(
      journal.some((j) => j.ifname === n),
      `${n}: journaled`,
    );
  assert.equal(
    journal.find((j) => j.ifname === 'ft5')!.before['tx-generic-segmentation'],
    true,
    'before = the fresh state',
  );
  const m = await metricsText(ns, agent.port);
  assert.equal(metricValue(m, 'offloadctl_interface_compliant{interface="ft5",role="vm-port"}'), 1);
  assert.equal(metricValue(m, 'offloadctl_enforcement_failures_total{reason="batch"}'), null);

  // created and gone (or renamed) at once: no errors, no series left, the renamed one compliant
  const gone = [...Array(20).keys()].map((i) => `fg${i}`);
  await ipBatch(ns, [
    ...gone.flatMap((n) => [`tuntap add dev ${n} mode tap`, `link del ${n}`]),
    'tuntap add dev fr0 mode tap',
    'link set fr0 name fr1',
  ]);
  await waitFor(async () => nonCompliant(await oracle(ns), ['fr1']).length === 0, 5000, 'renamed tap compliant');
  await sleep(300);
  const m2 = await metricsText(ns, agent.port);
  for (const n of gone) assert.ok(!m2.includes(`interface="${n}"`), `${n}: no series`);
  assert.ok(!m2.includes('interface="fr0"'), 'no series under the old name');
  assert.equal(metricValue(m2, 'offloadctl_interface_compliant{interface="fr1",role="vm-port"}'), 1);
  assert.ok(
    !agent.logs.some((l) => l.includes('"level":"error"')),
    agent.logs.filter((l) => l.includes('"level":"error"')).join('\n'),
  );
});
