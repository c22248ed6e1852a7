/**
 * Issue 14 items 1 and 7 against a real agent process in a namespace of its own: a few hundred
 * generated raw requests (test/unit/agent/http-fuzz-gen.ts, sent from inside the namespace), then
 * 1,000 idle connections. Oracle: the process table (the agent is alive), /healthz, and its stderr
 * (no stack trace, no "internal error").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { nsRun } from '../../src/lab/netns.js';
import { agentNetns, agentSkip as skip, http } from './agent-harness.js';
import type { FuzzResult } from '../unit/agent/http-fuzz-gen.js';

const CLIENT = fileURLToPath(new URL('./helpers/http-fuzz-client.ts', import.meta.url));
const lab = agentNetns();

test('real agent: generated requests and 1,000 idle connections; alive, /healthz answers, no stack trace', {
  skip,
  timeout: 300_000,
}, async () => {
  const { ns, agent } = await lab.open('hfz');
  const runs = Number(process.env.FUZZ_NETNS_RUNS ?? 400);
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
  const r = await nsRun(
    ns,
    [process.execPath, '--import', 'tsx', CLIENT, String(agent.port), String(runs), String(seed)],
    { timeoutMs: 240_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    fuzz: FuzzResult;
    healthz: { status?: number; text?: string; error?: string };
    idleStillOpen: number;
  };
  assert.deepEqual(out.fuzz.failures, []);
  assert.equal(out.healthz.status, 200, JSON.stringify(out.healthz));
  assert.equal(agent.child.exitCode, null, 'agent alive');
  assert.ok(process.kill(agent.child.pid!, 0), 'agent in the process table');
  assert.equal((await http(ns, agent.port, 'GET', '/healthz')).status, 200);
  const traces = agent.logs.filter((l) => /^\s+at |\\n\s+at |internal error/.test(l));
  assert.deepEqual(traces, [], 'no stack trace on stderr');
  process.stdout.write(
    `# agent http fuzz (netns): ${out.fuzz.cases} cases (seed ${seed}), ${out.fuzz.answered} answered, statuses ${JSON.stringify(out.fuzz.statuses)}; /healthz with 1000 idle connections: ${out.healthz.status}, ${out.idleStillOpen} of them still open\n`,
  );
});
