/**
 * Overrun: with a tiny socket receive buffer (OFFLOADCTL_MONITOR_RCVBUF) a burst of link events
 * overflows it, recvmsg() fails with ENOBUFS, the agent counts an overrun, dumps everything again
 * and reconciles: afterwards nothing is left unenforced (per the oracle).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../../src/lab/netns.js';
import { addonSurvivesOverrun } from '../../src/kernel/netlink/addon.js';
import {
  agentSkip as skip,
  metricValue,
  metricsText,
  nonCompliant,
  oracle,
  startAgent,
  waitFor,
  type RunningAgent,
} from './agent-harness.js';

for (const placement of ['inline', 'child'] as const) {
  const why =
    placement === 'inline' && !addonSurvivesOverrun()
      ? 'the netlink addon is not the patched build (scripts/build-netlink-addon.sh)'
      : false;
  test(`ENOBUFS on the monitor socket → overrun → full resync → all compliant (event sockets ${placement})`, {
    skip: skip || why,
  }, async () => {
    const ns = await createNetns(`${uniquePrefix('agovr')}a`);
    let agent: RunningAgent | null = null;
    try {
      // 4 KiB (the kernel doubles it): a few RTM_NEWLINK messages fill it.
      // The socket process's own back-pressure limit is set high so that only the kernel drops here.
      agent = await startAgent(ns, [], {
        env: {
          OFFLOADCTL_MONITOR_PROCESS: placement,
          OFFLOADCTL_MONITOR_RCVBUF: '4096',
          OFFLOADCTL_MONITOR_CHILD_BACKLOG: String(256 << 20),
        },
      });
      assert.ok(
        agent.logs.some((l) => l.includes('"agent ready"') && l.includes(`"eventSockets":"${placement}"`)),
        `event sockets ${placement}`,
      );
      const lines: string[] = [];
      for (let i = 0; i < 400; i++) lines.push(`link add ov${i} type veth peer name op${i}`);
      await ipBatch(ns, lines);
      const names = [...Array(400).keys()].flatMap((i) => [`ov${i}`, `op${i}`]);
      let last: string[] = [];
      await waitFor(
        async () => {
          last = nonCompliant(await oracle(ns), names);
          return last.length === 0;
        },
        20_000,
        'all 800 compliant after the overrun',
      ).catch((e) => {
        throw new Error(`${(e as Error).message}; left: ${last.length} e.g. ${last.slice(0, 5).join(' ')}`);
      });
      const m = await metricsText(ns, agent.port);
      const overruns =
        (metricValue(m, 'offloadctl_monitor_overruns_total{source="rtnetlink"}') ?? 0) +
        (metricValue(m, 'offloadctl_monitor_overruns_total{source="ethtool"}') ?? 0);
      assert.ok(overruns >= 1, 'at least one overrun was seen');
      assert.ok((metricValue(m, 'offloadctl_resyncs_total{trigger="overrun"}') ?? 0) >= 1, 'a resync followed');
      assert.ok(
        agent.logs.some((l) => l.includes('netlink overrun')),
        'logged',
      );
      assert.equal(metricValue(m, 'offloadctl_interfaces{state="compliant"}'), 800);
      assert.equal(await agent.stop(), 0, 'and it still stops cleanly');
      agent = null;
    } finally {
      if (agent) await agent.stop();
      await deleteNetns(ns);
    }
  });
}

test('the socket process drops and reports an overrun when the agent falls behind (bounded memory)', {
  skip,
}, async () => {
  const ns2 = await createNetns(`${uniquePrefix('agbp')}a`);
  let a: RunningAgent | null = null;
  try {
    // a normal kernel buffer, but (almost) nothing may wait between the socket process and the
    // agent: any burst makes the socket process drop and report
    a = await startAgent(ns2, [], {
      env: { OFFLOADCTL_MONITOR_PROCESS: 'child', OFFLOADCTL_MONITOR_CHILD_BACKLOG: '1' },
    });
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) lines.push(`link add bv${i} type veth peer name bp${i}`);
    await ipBatch(ns2, lines);
    const names = [...Array(300).keys()].flatMap((i) => [`bv${i}`, `bp${i}`]);
    await waitFor(async () => nonCompliant(await oracle(ns2), names).length === 0, 20_000, 'all 600 compliant');
    const m = await metricsText(ns2, a.port);
    assert.equal(metricValue(m, 'offloadctl_interfaces{state="compliant"}'), 600);
    const drops =
      (metricValue(m, 'offloadctl_monitor_overruns_total{source="rtnetlink"}') ?? 0) +
      (metricValue(m, 'offloadctl_monitor_overruns_total{source="ethtool"}') ?? 0);
    assert.ok(drops >= 1, 'drops reported');
    assert.ok((metricValue(m, 'offloadctl_resyncs_total{trigger="overrun"}') ?? 0) >= 1, 'and resynced');
  } finally {
    if (a) await a.stop();
    await deleteNetns(ns2);
  }
});
