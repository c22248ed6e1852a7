/**
 * `offloadctl agent` on a real Open vSwitch (userspace datapath, in a namespace this test made): a
 * policy that selects VM ports of one OVS bridge (master: br-int, role: vm-port) is enforced on the
 * OVS VM ports present at start and on a port added to the bridge while the agent runs — on the
 * userspace datapath the kernel never hears of that addition, so this needs the agent's OVSDB
 * monitor. Oracle: `ethtool --json -k`; ovs-vsctl --format=json for what OVS holds.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, deleteNetns, ipIn, uniquePrefix } from '../../src/lab/netns.js';
import { agentSkip, startAgent, waitFor, type RunningAgent } from './agent-harness.js';
import { oracleFeatures } from './helpers/oracle.js';
import { ovsMissing, startOvs, type OvsLab } from './helpers/ovs-lab.js';

const skip = agentSkip || ovsMissing();
let ns = '';
let ovs: OvsLab | null = null;
let agent: RunningAgent | null = null;
let tmp = '';

before(async () => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), 'olc-agent-ovs-'));
  ns = await createNetns(`${uniquePrefix('olaovs')}a`);
  const ip = (...a: string[]) => ipIn(ns, a);
  for (const [a, b] of [
    ['vm-a', 'guest-a'],
    ['plain-a', 'plain-p'],
    ['vm-b', 'guest-b'],
  ]) {
    await ip('link', 'add', a!, 'type', 'veth', 'peer', 'name', b!);
    await ip('link', 'set', a!, 'up');
  }
  ovs = await startOvs(ns);
  await ovs.vsctl(
    'add-br',
    'br-int',
    '--',
    'set',
    'Bridge',
    'br-int',
    'datapath_type=netdev',
    '--',
    'add-port',
    'br-int',
    'vm-a',
    '--',
    'set',
    'Interface',
    'vm-a',
    'external_ids:iface-id=11111111-2222-4333-8444-555555555555',
    'external_ids:vm-uuid=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
  );
  const policy = join(tmp, 'policy.yaml');
  writeFileSync(
    policy,
    'name: ovs-vm-ports\nrules:\n  - select: { master: [br-int], role: [vm-port] }\n    features: { tso: off, gso: off }\n',
  );
  agent = await startAgent(ns, ['--policy', policy, '--resync-interval', '0', '--log-level', 'debug'], {
    env: ovs.env,
    port: 9471,
  });
});

after(async () => {
  if (agent) await agent.stop();
  if (ovs) await ovs.stop();
  if (ns) await deleteNetns(ns);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const tsoOn = async (ifname: string) => (await oracleFeatures(ns, ifname))['tx-tcp-segmentation']!.active;

test('the OVS VM port present at start is enforced; a veth outside OVS is not', {
  skip,
  timeout: 120_000,
}, async () => {
  await waitFor(async () => !(await tsoOn('vm-a')), 20_000, 'vm-a TSO off per ethtool').catch((e) => {
    throw new Error(`${(e as Error).message}\n${agent!.logs.slice(-20).join('\n')}`);
  });
  assert.equal(await tsoOn('plain-a'), true, 'plain-a is not an OVS port: untouched');
  assert.equal(await tsoOn('vm-b'), true, 'vm-b is not in OVS yet');
});

test('a port added to br-int while the agent runs (no kernel event on the userspace datapath) is enforced from the OVSDB monitor', {
  skip,
  timeout: 120_000,
}, async () => {
  await ovs!.vsctl(
    'add-port',
    'br-int',
    'vm-b',
    '--',
    'set',
    'Interface',
    'vm-b',
    'external_ids:iface-id=66666666-7777-4888-8999-000000000000',
  );
  const rows = await ovs!.list('Interface', ['name', 'external_ids']);
  assert.ok(
    rows.some((r) => r.name === 'vm-b'),
    'ovs-vsctl lists vm-b',
  );
  const ms = await waitFor(async () => !(await tsoOn('vm-b')), 20_000, 'vm-b TSO off per ethtool').catch((e) => {
    throw new Error(`${(e as Error).message}\n${agent!.logs.slice(-20).join('\n')}`);
  });
  assert.ok(ms >= 0);
  assert.equal((await oracleFeatures(ns, 'vm-b'))['tx-generic-segmentation']!.active, false);
  assert.equal(await tsoOn('plain-a'), true);
});
