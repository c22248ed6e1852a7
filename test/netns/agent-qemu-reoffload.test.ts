/**
 * QEMU's TUNSETOFFLOAD (a guest's virtio driver renegotiating, a migration) rewrites a tap's
 * requested TSO bits (drivers/net/tun.c set_offload): what a one-shot udev rule set is undone.
 * The agent sees it as drift and turns TSO off again. The tap is held open like QEMU holds it
 * (persist-helpers.ts QemuLikeTap: TUNSETIFF + TUNSETOFFLOAD from python3).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { QemuLikeTap } from './persist-helpers.js';
import { agentNetns, agentSkip, metricValue, metricsText, nonCompliant, oracle, waitFor } from './agent-harness.js';

const noPy = spawnSync('python3', ['--version']).error ? 'python3 missing (the QEMU-like tap helper)' : false;
const skip = agentSkip || noPy;

let tap: QemuLikeTap | null = null;
after(() => tap?.close()); // before the lab's own cleanup: hooks run in the order registered
const lab = agentNetns();

test('a guest renegotiating (TUNSETOFFLOAD) re-requests TSO on its tap: drift, turned off again', {
  skip,
}, async () => {
  const { ns, agent } = await lab.open('agqemu');
  tap = await QemuLikeTap.open(ns, 'vnet8');
  await waitFor(async () => nonCompliant(await oracle(ns), ['vnet8']).length === 0, 5000, 'vnet8 enforced');
  const before = metricValue(await metricsText(ns, agent.port), 'offloadctl_drift_events_total{finding="drift"}') ?? 0;
  await tap.reoffload();
  await waitFor(
    async () =>
      (metricValue(await metricsText(ns, agent!.port), 'offloadctl_drift_events_total{finding="drift"}') ?? 0) > before,
    5000,
    'drift seen',
  );
  await waitFor(async () => nonCompliant(await oracle(ns), ['vnet8']).length === 0, 5000, 'TSO off again');
  const o = (await oracle(ns)).get('vnet8')!;
  assert.equal((o['tx-tcp-segmentation'] as { active: boolean }).active, false);
});
