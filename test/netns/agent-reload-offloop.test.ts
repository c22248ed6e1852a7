/**
 * Issue 14 item 10: a SIGHUP reload of a large policy must not block enforcement. The agent parses
 * the file in a child process; a tap created right after SIGHUP is enforced (oracle: `ethtool
 * --json -k`) before the reload's outcome is logged. With the parse on the agent's own event loop
 * (before), the tap waited for the whole parse: the outcome was always logged first.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipBatch } from '../../src/lab/netns.js';
import { MAX_POLICY_BYTES } from '../../src/policy/load.js';
import { agentNetns, agentSkip as skip, nonCompliant, oracle, waitFor } from './agent-harness.js';

const lab = agentNetns();
const dir = mkdtempSync(join(tmpdir(), 'olc-agent-reload-big-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A valid policy just under the size limit: thousands of rules, seconds of YAML parsing. */
function bigPolicy(): string {
  const out = ['name: big', 'rules:', '  - select: {}', '    features: {tso: off, gso: off}'];
  let size = out.join('\n').length;
  for (let i = 0; size < MAX_POLICY_BYTES - 200; i++) {
    const r = `  - name: r${i}\n    select: {name: ["zz${i}*", "zy${i}"]}\n    features: {tso: off, gso: off}`;
    out.push(r);
    size += r.length + 1;
  }
  return out.join('\n') + '\n';
}

test('SIGHUP with a 1 MiB policy: a new tap is enforced while the reload is parsed', {
  skip,
  timeout: 120_000,
}, async () => {
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, 'name: small\nrules:\n  - select: {}\n    features: { tso: off, gso: off }\n');
  const { ns, agent } = await lab.open('agbig', ['--policy', policy]);
  writeFileSync(policy, bigPolicy());
  const outcome = () => agent.logs.some((l) => l.includes('"policy reloaded"') || l.includes('policy reload failed'));
  process.kill(agent.child.pid!, 'SIGHUP');
  await ipBatch(ns, ['tuntap add dev bigtap0 mode tap']);
  await waitFor(async () => nonCompliant(await oracle(ns), ['bigtap0']).length === 0, 30_000, 'bigtap0 enforced');
  const before = outcome();
  await waitFor(async () => outcome(), 90_000, 'reload outcome logged');
  assert.equal(before, false, 'the tap was enforced before the reload finished (not blocked by the parse)');
  assert.ok(
    agent.logs.some((l) => l.includes('"policy reloaded"') && l.includes('"big"')),
    agent.logs.filter((l) => l.includes('reload')).join('\n'),
  );
});
