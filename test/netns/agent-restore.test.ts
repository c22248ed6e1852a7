/**
 * Issue 15 item 4: what the agent changes can be undone. A lab namespace (a bridge with veth ports,
 * loose veths and taps, offloads as the kernel made them) gets an agent in enforce mode (tso-gso-off);
 * more taps appear while it runs (its fast path). Stop it, `restore --agent` → every interface,
 * per `ethtool --json -k`, has the requested and active bits it had before the agent; the taps
 * made while it ran have those of a tap of the same kind made with no agent running.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../../src/lab/netns.js';
import {
  BIN,
  agentSkip as skip,
  nonCompliant,
  oracle,
  startAgent,
  waitFor,
  type OracleDevice,
  type RunningAgent,
} from './agent-harness.js';

let ns = '';
let agent: RunningAgent | null = null;
const stateDir = mkdtempSync(join(tmpdir(), 'olc-agent-restore-'));
after(async () => {
  await agent?.stop();
  if (ns) await deleteNetns(ns);
  rmSync(stateDir, { recursive: true, force: true });
});

/** Requested and active bits of every changeable feature, per device. */
function bits(devs: Map<string, OracleDevice>, names: readonly string[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const n of names) {
    const d = devs.get(n);
    assert.ok(d, `${n} exists`);
    const row: Record<string, string> = {};
    for (const [k, v] of Object.entries(d)) {
      if (typeof v !== 'object' || v === null || (v as { fixed?: boolean }).fixed) continue;
      const f = v as { requested?: boolean; active?: boolean };
      row[k] = `${f.requested ? 'req' : '-'}/${f.active ? 'act' : '-'}`;
    }
    out[n] = row;
  }
  return out;
}

function offloadctl(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('agent in enforce mode, stopped, restore --agent: every interface as before the agent (ethtool oracle)', {
  skip,
  timeout: 120_000,
}, async () => {
  ns = await createNetns(`${uniquePrefix('agrst')}a`);
  const before = ['br0', 'pa0', 'pb0', 'pa1', 'pb1', 've0', 'vp0', 'tap0', 'tap1'];
  await ipBatch(ns, [
    'link add br0 type bridge',
    'link add pa0 type veth peer name pb0',
    'link add pa1 type veth peer name pb1',
    'link set pa0 master br0',
    'link set pa1 master br0',
    'link add ve0 type veth peer name vp0',
    'tuntap add dev tap0 mode tap',
    'tuntap add dev tap1 mode tap',
    ...before.map((n) => `link set ${n} up`),
  ]);
  const pre = bits(await oracle(ns), before);
  assert.ok(Object.values(pre.ve0!).includes('req/act'), 'the veth starts with offloads on (something to change)');

  agent = await startAgent(ns, ['--state-dir', stateDir]);
  await waitFor(
    async () => nonCompliant(await oracle(ns), before).length === 0,
    15_000,
    'the agent made the lab compliant',
  );
  await ipBatch(ns, [
    'tuntap add dev tapn0 mode tap',
    'tuntap add dev tapn1 mode tap',
    'link add vn0 type veth peer name vnp0',
  ]);
  const during = ['tapn0', 'tapn1', 'vn0', 'vnp0'];
  await waitFor(
    async () => nonCompliant(await oracle(ns), during).length === 0,
    15_000,
    'the agent made the new links compliant',
  );
  assert.notDeepEqual(bits(await oracle(ns), before), pre, 'the agent changed the lab');
  assert.equal(await agent.stop(), 0);
  agent = null;
  assert.ok(
    readdirSync(join(stateDir, 'snapshots')).some((f) => f.endsWith('.agent.jsonl')),
    'the agent recorded what it found',
  );

  // the same kinds of link, made now that no agent runs: what the new links looked like before it
  await ipBatch(ns, ['tuntap add dev tapref mode tap', 'link add vref type veth peer name vrefp']);
  const ref = bits(await oracle(ns), ['tapref', 'vref', 'vrefp']);

  const r = offloadctl(['restore', '--agent', '--yes', '--state-dir', stateDir, '--json']);
  assert.equal(r.status, 0, `restore --agent: ${r.stderr}${r.stdout}`);
  const post = await oracle(ns);
  assert.deepEqual(bits(post, before), pre, 'every interface present before the agent is as it was');
  const now = bits(post, during);
  assert.deepEqual(now.tapn0, ref.tapref);
  assert.deepEqual(now.tapn1, ref.tapref);
  assert.deepEqual(now.vn0, ref.vref);
  assert.deepEqual(now.vnp0, ref.vrefp);

  // restored means restored: nothing left to undo
  const again = offloadctl(['restore', '--agent', '--yes', '--state-dir', stateDir]);
  assert.equal(again.status, 2, `a second restore --agent finds nothing: ${again.stderr}`);
});
