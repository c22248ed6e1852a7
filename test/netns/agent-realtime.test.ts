/**
 * The agent as its systemd unit runs it: SCHED_FIFO priority 1 (src/agent/unit.ts). Started under
 * `chrt -f 1`, every one of its threads is in that class (the kernel's /proc/PID/task/TID/stat as
 * oracle: threads inherit the class), its ready log says so, and a burst of taps is enforced as
 * in the normal class (the ethtool oracle), each counted once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { ipBatch } from '../../src/lab/netns.js';
import { agentNetns, agentSkip, metricValue, metricsText, nonCompliant, oracle, waitFor } from './agent-harness.js';

const noChrt = spawnSync('chrt', ['-f', '1', 'true']).status !== 0 ? 'chrt -f 1 not possible here' : false;
const skip = agentSkip || noChrt;
const lab = agentNetns();

/** rt_priority and policy: fields 40 and 41 of /proc/PID/task/TID/stat (proc(5)). */
function threadClasses(pid: number): Array<{ tid: string; priority: number; policy: number }> {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .trim()
      .split(/\s+/);
    return { tid, priority: Number(f[37]), policy: Number(f[38]) };
  });
}

test('agent under SCHED_FIFO 1: all threads real-time, says so, enforces a burst', { skip }, async () => {
  const { ns, agent } = await lab.open('art', [], { wrap: ['chrt', '-f', '1'] });
  const threads = threadClasses(agent.child.pid!);
  assert.ok(threads.length > 1, 'node runs several threads');
  for (const t of threads) assert.deepEqual([t.policy, t.priority], [1 /* SCHED_FIFO */, 1], `thread ${t.tid}`);
  const readyLine = () => agent.logs.find((l) => l.includes('"msg":"agent ready"'));
  await waitFor(async () => readyLine() !== undefined, 3000, 'ready logged');
  assert.equal((JSON.parse(readyLine()!) as { scheduling?: string }).scheduling, 'fifo:1');

  const taps = [...Array(200).keys()].map((i) => `rt${i}`);
  await ipBatch(
    ns,
    taps.map((n) => `tuntap add dev ${n} mode tap`),
  );
  await waitFor(async () => nonCompliant(await oracle(ns), taps).length === 0, 10_000, 'all compliant');
  await waitFor(
    async () =>
      metricValue(await metricsText(ns, agent.port), 'offloadctl_enforcement_delay_seconds_count') === taps.length,
    3000,
    'histogram counts each once',
  );
  assert.ok(
    !agent.logs.some((l) => l.includes('"level":"error"')),
    agent.logs.filter((l) => l.includes('"level":"error"')).join('\n'),
  );
});
