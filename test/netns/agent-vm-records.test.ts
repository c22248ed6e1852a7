/**
 * The agent reads VM records from --libvirt-dir (like audit, plan, apply): a policy that selects by
 * vmPlatform reaches a tap whose name only libvirt's domain status XML ties to a domain. Oracle:
 * `ethtool --json -k` (the agent's change, or none).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../../src/lab/netns.js';
import { agentSkip, startAgent, sleep, type RunningAgent } from './agent-harness.js';
import { oracleFeatures } from './helpers/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'olc-agentvm-'));
let ns = '';
const agents: RunningAgent[] = [];
after(async () => {
  for (const a of agents) await a.stop();
  if (ns) await deleteNetns(ns);
  rmSync(dir, { recursive: true, force: true });
});

const domainXml = (dev: string) => `<domstatus state='running' reason='booted' pid='2417'>
  <domain type='kvm' id='3'>
    <name>web01</name>
    <uuid>6f9d8a5e-2c41-4b7a-9e0d-3a1f5c7b8e21</uuid>
    <devices>
      <interface type='bridge'>
        <mac address='52:54:00:6b:3c:58'/>
        <source bridge='br0'/>
        <target dev='${dev}'/>
        <model type='virtio'/>
      </interface>
    </devices>
  </domain>
</domstatus>
`;

async function gsoActive(name: string): Promise<boolean> {
  return (await oracleFeatures(ns, name))['tx-generic-segmentation']!.active;
}

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}

test('agent --libvirt-dir: a libvirt-only policy reaches the tap the domain XML names, and nothing else', {
  skip: agentSkip,
}, async () => {
  ns = await createNetns(`${uniquePrefix('agvm')}a`);
  await ipBatch(ns, [
    'link add br0 type bridge',
    'tuntap add mode tap vnet_hdr name web01nic0',
    'tuntap add mode tap vnet_hdr name other0',
    'link set web01nic0 master br0',
    'link set other0 master br0',
  ]);
  const libvirt = join(dir, 'qemu');
  mkdirSync(libvirt);
  writeFileSync(join(libvirt, 'web01.xml'), domainXml('web01nic0'));
  const policy = join(dir, 'libvirt-only.yaml');
  writeFileSync(
    policy,
    'name: libvirt-gso-off\nrules:\n  - select: { vmPlatform: [libvirt] }\n    features: { gso: off }\n',
  );
  assert.equal(await gsoActive('web01nic0'), true, 'setup: gso on');
  const agent = await startAgent(
    ns,
    ['--policy', policy, '--libvirt-dir', libvirt, '--proxmox-dir', join(dir, 'pve')],
    { port: 9481 },
  );
  agents.push(agent);
  assert.ok(
    await until(async () => !(await gsoActive('web01nic0')), 20_000),
    'the agent turned gso off on the libvirt tap',
  );
  assert.equal(await gsoActive('other0'), true, "a tap no VM record names is not libvirt's: left alone");
});
