/**
 * QEMU's TUNSETOFFLOAD (a guest's virtio driver renegotiating, a migration) rewrites a tap's
 * requested TSO bits (drivers/net/tun.c set_offload): what a one-shot udev rule set is undone.
 * The agent sees it as drift and turns TSO off again. The tap is held open like QEMU holds it
 * (persist-helpers.ts QemuLikeTap: TUNSETIFF + TUNSETOFFLOAD from python3).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createNetns, deleteNetns, uniquePrefix } from '../../src/lab/netns.js';
import { QemuLikeTap } from './persist-helpers.js';
import { metricValue, metricsText, nonCompliant, oracle, startAgent, waitFor, type RunningAgent } from './agent-harness.js';

const isRoot = process.getuid?.() === 0;
const built = existsSync(new URL('../../dist/main.js', import.meta.url));
const noPy = spawnSync('python3', ['--version']).error ? 'python3 missing (the QEMU-like tap helper)' : false;
const skip = !isRoot ? 'needs root (network namespaces)' : !built ? 'needs `npm run build` (runs bin/offloadctl)' : noPy;

let ns = '';
let agent: RunningAgent | null = null;
let tap: QemuLikeTap | null = null;
after(async () => {
  tap?.close();
  if (agent) await agent.stop();
  if (ns) await deleteNetns(ns);
});

test("a guest renegotiating (TUNSETOFFLOAD) re-requests TSO on its tap: drift, turned off again", { skip }, async () => {
  ns = await createNetns(`${uniquePrefix('agqemu')}a`);
  agent = await startAgent(ns);
  tap = await QemuLikeTap.open(ns, 'vnet8');
  await waitFor(async () => nonCompliant(await oracle(ns), ['vnet8']).length === 0, 5000, 'vnet8 enforced');
  const before = metricValue(await metricsText(ns, agent.port), 'offloadctl_drift_events_total{finding="drift"}') ?? 0;
  await tap.reoffload();
  await waitFor(async () => (metricValue(await metricsText(ns, agent!.port), 'offloadctl_drift_events_total{finding="drift"}') ?? 0) > before, 5000, 'drift seen');
  await waitFor(async () => nonCompliant(await oracle(ns), ['vnet8']).length === 0, 5000, 'TSO off again');
  const o = (await oracle(ns)).get('vnet8')!;
  assert.equal((o['tx-tcp-segmentation'] as { active: boolean }).active, false);
});
