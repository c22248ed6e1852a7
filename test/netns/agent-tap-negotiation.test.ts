/**
 * A fresh tap has TSO and tx checksumming off with "requested on": only the tap's owner (QEMU,
 * from the guest's virtio features, via TUNSETOFFLOAD) can turn them on. Under a policy that wants
 * them on, the agent must report that (guest-negotiated) and not fight it in a loop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipBatch } from '../../src/lab/netns.js';
import {
  agentNetns,
  agentSkip as skip,
  http,
  metricValue,
  metricsText,
  oracle,
  sleep,
  waitFor,
} from './agent-harness.js';

const lab = agentNetns();

test('offloads-on on a fresh tap: reported as guest-negotiated, never re-set', { skip }, async () => {
  const { ns, agent } = await lab.open('agtap', ['--profile', 'offloads-on']);
  await ipBatch(ns, ['tuntap add dev tapq mode tap']);
  type St = {
    interfaces: { name: string; state: string; finding: string | null; deviations: { feature: string }[] }[];
  };
  let tap: St['interfaces'][number] | undefined;
  await waitFor(
    async () => {
      const st = JSON.parse((await http(ns, agent!.port, 'GET', '/api/state')).text) as St;
      tap = st.interfaces.find((i) => i.name === 'tapq');
      return tap?.state === 'held';
    },
    5000,
    'tapq held',
  );
  assert.equal(tap!.finding, 'guest-negotiated');
  assert.ok(tap!.deviations.some((d) => d.feature === 'tx-tcp-segmentation'));
  // the oracle agrees: requested on, active off
  const o = (await oracle(ns)).get('tapq')!;
  assert.deepEqual(o['tx-tcp-segmentation'], { active: false, fixed: false, requested: true });
  const before = metricValue(
    await metricsText(ns, agent.port),
    'offloadctl_findings_total{finding="guest-negotiated"}',
  );
  await sleep(1500);
  const m = await metricsText(ns, agent.port);
  assert.equal(
    metricValue(m, 'offloadctl_findings_total{finding="guest-negotiated"}'),
    before,
    'reported once, not per event',
  );
  assert.equal(metricValue(m, 'offloadctl_enforcements_total{reason="retry"}'), null, 'no retries');
  assert.equal(metricValue(m, 'offloadctl_interface_compliant{interface="tapq",role="vm-port"}'), 0);
});
