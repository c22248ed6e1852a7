/**
 * A fresh tap has TSO and tx checksumming off with "requested on": only the tap's owner (QEMU,
 * from the guest's virtio features, via TUNSETOFFLOAD) can turn them on. Under a policy that wants
 * them on, the agent must report that (guest-negotiated) and not fight it in a loop.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../../src/lab/netns.js';
import { http, metricValue, metricsText, oracle, sleep, startAgent, waitFor, type RunningAgent } from './agent-harness.js';

const isRoot = process.getuid?.() === 0;
const built = existsSync(new URL('../../dist/main.js', import.meta.url));
const skip = !isRoot ? 'needs root (network namespaces)' : !built ? 'needs `npm run build` (runs bin/offloadctl)' : false;

let ns = '';
let agent: RunningAgent | null = null;
after(async () => {
  if (agent) await agent.stop();
  if (ns) await deleteNetns(ns);
});

test('offloads-on on a fresh tap: reported as guest-negotiated, never re-set', { skip }, async () => {
  ns = await createNetns(`${uniquePrefix('agtap')}a`);
  agent = await startAgent(ns, ['--profile', 'offloads-on']);
  await ipBatch(ns, ['tuntap add dev tapq mode tap']);
  type St = { interfaces: { name: string; state: string; finding: string | null; deviations: { feature: string }[] }[] };
  let tap: St['interfaces'][number] | undefined;
  await waitFor(async () => {
    const st = JSON.parse((await http(ns, agent!.port, 'GET', '/api/state')).text) as St;
    tap = st.interfaces.find((i) => i.name === 'tapq');
    return tap?.state === 'held';
  }, 5000, 'tapq held');
  assert.equal(tap!.finding, 'guest-negotiated');
  assert.ok(tap!.deviations.some((d) => d.feature === 'tx-tcp-segmentation'));
  // the oracle agrees: requested on, active off
  const o = (await oracle(ns)).get('tapq')!;
  assert.deepEqual(o['tx-tcp-segmentation'], { active: false, fixed: false, requested: true });
  const before = metricValue(await metricsText(ns, agent.port), 'offloadctl_findings_total{finding="guest-negotiated"}');
  await sleep(1500);
  const m = await metricsText(ns, agent.port);
  assert.equal(metricValue(m, 'offloadctl_findings_total{finding="guest-negotiated"}'), before, 'reported once, not per event');
  assert.equal(metricValue(m, 'offloadctl_enforcements_total{reason="retry"}'), null, 'no retries');
  assert.equal(metricValue(m, 'offloadctl_interface_compliant{interface="tapq",role="vm-port"}'), 0);
});
