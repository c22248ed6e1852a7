import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from '../../../src/agent/agent.js';
import type { AgentOptions } from '../../../src/agent/agent-context.js';
import { AgentMetrics } from '../../../src/agent/metrics.js';
import { silentLogger } from '../../../src/agent/log.js';
import { FakeKernel } from '../../../src/kernel/fake.js';
import { FakeMonitor } from '../../../src/kernel/monitor/fake.js';
import { findProfile } from '../../../src/policy/index.js';
import { feats, link } from './fixtures.js';

const policy = findProfile('tso-gso-off')!;

/** An agent over a FakeKernel with lo and `n` veths (or `over.kernel`), options overridable. */
function setup<K extends FakeKernel = FakeKernel>(n = 0, over: { kernel?: K; options?: Partial<AgentOptions> } = {}) {
  const links = [link(1, 'lo', null, { flags: 0x9 })];
  const features: Record<string, ReturnType<typeof feats>> = { lo: feats() };
  for (let i = 0; i < n; i++) {
    links.push(link(10 + i, `veth${i}`, 'veth'));
    features[`veth${i}`] = feats();
  }
  const kernel = (over.kernel ?? new FakeKernel({ links, features })) as K;
  const monitor = new FakeMonitor();
  const metrics = new AgentMetrics({ defaultMetrics: false });
  let now = 0;
  const agent = new Agent({
    kernel,
    monitor,
    policy,
    mode: 'enforce',
    logger: silentLogger,
    metrics,
    windowMs: 1,
    resyncIntervalMs: 0,
    clock: () => now,
    ...over.options,
  });
  return { kernel, monitor, metrics, agent, tick: (ms: number) => (now += ms), now: () => now };
}

const sets = (k: FakeKernel) => k.calls.filter((c) => c.method === 'setFeatures');

test('start-up: one dump, existing interfaces enforced, loopback left alone', async () => {
  const { kernel, agent } = setup(3);
  await agent.start();
  assert.equal(kernel.calls.filter((c) => c.method === 'dumpFeatures').length, 1);
  assert.deepEqual(
    sets(kernel)
      .map((c) => (c as { ifname: string }).ifname)
      .sort(),
    ['veth0', 'veth1', 'veth2'],
  );
  assert.equal(kernel.peekFeatures('veth1')!['tx-tcp-segmentation']!.requested, false);
  assert.equal(kernel.peekFeatures('lo')!['tx-tcp-segmentation']!.requested, true);
  const st = agent.state() as { counts: Record<string, number>; ready: boolean };
  assert.equal(st.ready, true);
  assert.equal(st.counts.compliant, 3);
  await agent.stop();
});

test('a burst of 200 new links is batched: few batches, one dump for the unknown features, 200 sets, 200 delay samples', async () => {
  const { kernel, monitor, agent, metrics } = setup(0);
  await agent.start();
  const before = kernel.calls.length;
  for (let i = 0; i < 200; i++) {
    const l = link(100 + i, `tap${i}`, 'tun');
    kernel.addLink(l, feats({ 'tx-tcp-segmentation': { active: false, requested: true } }));
    monitor.emit({ type: 'link-new', link: l, at: 0 });
  }
  await agent.idle();
  const calls = kernel.calls.slice(before);
  assert.equal(calls.filter((c) => c.method === 'dumpFeatures').length, 1);
  assert.equal(calls.filter((c) => c.method === 'getFeatures').length, 0);
  assert.equal(calls.filter((c) => c.method === 'setFeatures').length, 200);
  const text = await metrics.text();
  assert.match(text, /offloadctl_enforcement_delay_seconds_count 200/);
  assert.match(text, /offloadctl_enforcements_total\{reason="new"\} 200/);
  await agent.stop();
});

test('a few new links use per-device GETs, not a dump', async () => {
  const { kernel, monitor, agent } = setup(0);
  await agent.start();
  const before = kernel.calls.length;
  const l = link(50, 'vnet0', 'tun');
  kernel.addLink(l, feats());
  monitor.emit({ type: 'link-new', link: l, at: 0 });
  await agent.idle();
  const calls = kernel.calls.slice(before);
  assert.deepEqual(
    calls.map((c) => c.method),
    ['getFeatures', 'setFeatures'],
  );
  await agent.stop();
});

test('drift (feature NTF) is corrected in enforce mode and only reported in report mode', async () => {
  const { kernel, monitor, agent, metrics, tick } = setup(1);
  await agent.start();
  tick(5000); // drift comes later than the back-off after the start-up change
  const f = kernel.peekFeatures('veth0')!;
  f['tx-generic-segmentation'] = { active: true, requested: true, fixed: false };
  monitor.emit({ type: 'features', ifindex: 10, name: 'veth0', features: structuredClone(f), at: 0 });
  await agent.idle();
  assert.equal(kernel.peekFeatures('veth0')!['tx-generic-segmentation']!.requested, false);
  assert.match(await metrics.text(), /offloadctl_drift_events_total\{finding="drift"\} 1/);

  agent.setMode('report');
  await agent.idle();
  tick(5000);
  const n = sets(kernel).length;
  f['tx-generic-segmentation'] = { active: true, requested: true, fixed: false };
  monitor.emit({ type: 'features', ifindex: 10, name: 'veth0', features: structuredClone(f), at: 0 });
  await agent.idle();
  assert.equal(sets(kernel).length, n);
  assert.equal(kernel.peekFeatures('veth0')!['tx-generic-segmentation']!.requested, true);
  assert.match(await metrics.text(), /offloadctl_drift_events_total\{finding="drift"\} 2/);
  const ev = agent.eventsSince(0, 100) as { events: { action: string }[] };
  assert.ok(ev.events.some((e) => e.action === 'drift'));
  await agent.stop();
});

test('deleted interfaces lose their metric series', async () => {
  const { kernel, monitor, agent, metrics } = setup(2);
  await agent.start();
  assert.match(await metrics.text(), /offloadctl_interface_compliant\{interface="veth1",role="veth"\} 1/);
  assert.match(await metrics.text(), /offloadctl_feature_active\{interface="veth1",feature="tx-tcp-segmentation"\} 0/);
  kernel.removeLink('veth1');
  monitor.emit({ type: 'link-del', ifindex: 11, name: 'veth1', at: 0 });
  await agent.idle();
  const text = await metrics.text();
  assert.doesNotMatch(text, /interface="veth1"/);
  assert.match(text, /interface="veth0"/);
  assert.equal(metrics.seriesCount(), 1);
  await agent.stop();
});

test('overrun: full resync finds links whose events were lost', async () => {
  const { kernel, monitor, agent } = setup(0);
  await agent.start();
  for (let i = 0; i < 5; i++) kernel.addLink(link(200 + i, `lost${i}`, 'veth'), feats());
  monitor.emit({ type: 'overrun', source: 'rtnetlink', at: 0 });
  await agent.idle();
  for (let i = 0; i < 5; i++) assert.equal(kernel.peekFeatures(`lost${i}`)!['tx-tcp-segmentation']!.requested, false);
  await agent.stop();
});

test('a failing set is retried with back-off (timers), then given up: bounded attempts', async () => {
  const { kernel, monitor, agent } = setup(0, {
    // Real time: the back-off runs on timers.
    options: { clock: undefined, backoff: { baseMs: 5, maxMs: 20, maxAttempts: 3, quietMs: 60_000 } },
  });
  await agent.start();
  kernel.failOn.add('bad0');
  const l = link(60, 'bad0', 'veth');
  kernel.addLink(l, feats());
  monitor.emit({ type: 'link-new', link: l, at: 0 });
  await new Promise((r) => setTimeout(r, 300));
  await agent.idle();
  const n = sets(kernel).filter((c) => (c as { ifname: string }).ifname === 'bad0').length;
  assert.equal(n, 3);
  const st = agent.state() as { interfaces: { name: string; state: string }[] };
  assert.equal(st.interfaces.find((i) => i.name === 'bad0')!.state, 'gave-up');
  const ev = agent.eventsSince(0, 100) as { events: { action: string; finding?: string }[] };
  assert.ok(ev.events.some((e) => e.action === 'finding' && e.finding === 'gave-up'));
  await agent.stop();
});

test('SIGHUP reload with a bad policy keeps the old one', async () => {
  let bad = false;
  const { kernel, agent } = setup(0, {
    kernel: new FakeKernel({ links: [link(10, 'veth0', 'veth')], features: { veth0: feats() } }),
    options: {
      windowMs: undefined,
      loadPolicy: () => {
        if (bad) throw new Error('line 3: unknown feature "tos"');
        return findProfile('offloads-on')!;
      },
    },
  });
  await agent.start();
  bad = true;
  assert.equal(await agent.reload(), false);
  assert.equal((agent.state() as { policy: { name: string } }).policy.name, 'tso-gso-off');
  bad = false;
  assert.equal(await agent.reload(), true);
  await agent.idle();
  assert.equal((agent.state() as { policy: { name: string } }).policy.name, 'offloads-on');
  assert.equal(kernel.peekFeatures('veth0')!['tx-tcp-segmentation']!.requested, true);
  await agent.stop();
});

test('with setFeaturesMany: pipelined sets, one verification read, delay samples', async () => {
  class ManyKernel extends FakeKernel {
    manyCalls = 0;
    async setFeaturesMany(items: readonly { ifname: string; changes: Record<string, boolean> }[]) {
      this.manyCalls++;
      const out = [];
      for (const it of items) {
        try {
          await this.setFeatures(it.ifname, it.changes);
          out.push(null);
        } catch (e) {
          out.push(e as import('../../../src/kernel/types.js').KernelError);
        }
      }
      return out;
    }
  }
  const { kernel, monitor, metrics, agent } = setup(0, {
    kernel: new ManyKernel({ links: [link(1, 'lo', null, { flags: 0x9 })], features: { lo: feats() } }),
  });
  await agent.start();
  kernel.failOn.add('t3');
  for (let i = 0; i < 10; i++) {
    const l = link(100 + i, `t${i}`, 'tun');
    kernel.addLink(l, feats());
    monitor.emit({ type: 'link-new', link: l, at: 0 });
  }
  await agent.idle();
  assert.ok(kernel.manyCalls >= 1);
  for (let i = 0; i < 10; i++) assert.equal(kernel.peekFeatures(`t${i}`)!['tx-tcp-segmentation']!.requested, i === 3);
  const text = await metrics.text();
  assert.match(text, /offloadctl_enforcement_delay_seconds_count 9/);
  assert.match(text, /offloadctl_enforcement_failures_total\{reason="invalid"\} 1/);
  await agent.stop();
});
