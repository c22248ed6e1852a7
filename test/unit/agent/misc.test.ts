import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkQueue } from '../../../src/agent/queue.js';
import { EventRing } from '../../../src/agent/events.js';
import { AgentMetrics } from '../../../src/agent/metrics.js';
import { renderUnit, installUnit } from '../../../src/agent/unit.js';
import { fileJournal } from '../../../src/agent/journal.js';

test('work queue coalesces a burst into few batches and never runs two at once', async () => {
  const batches: number[][] = [];
  let running = 0;
  let maxRunning = 0;
  const q = new WorkQueue<number>(
    async (b) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      batches.push(b.keys);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    },
    { windowMs: 2 },
  );
  for (let i = 0; i < 100; i++) q.mark(i);
  q.mark(5); // duplicate coalesces
  await new Promise((r) => setTimeout(r, 3));
  for (let i = 100; i < 150; i++) q.mark(i);
  await q.idle();
  assert.equal(maxRunning, 1);
  assert.ok(batches.length <= 3, `batches: ${batches.length}`);
  assert.equal(batches.flat().length, 150);
  assert.equal(new Set(batches.flat()).size, 150);
});

test('event ring is bounded and keeps the newest', () => {
  const r = new EventRing(3);
  for (let i = 0; i < 5; i++) r.push({ action: 'x', i });
  assert.equal(r.size, 3);
  assert.deepEqual(
    r.list().map((e) => e.i),
    [2, 3, 4],
  );
  assert.deepEqual(
    r.list(4).map((e) => e.seq),
    [5],
  );
});

test('events: the oldest `limit` after `since`, with a cursor that pages through all of them', () => {
  const r = new EventRing(100);
  for (let i = 1; i <= 19; i++) r.push({ action: 'x', i });
  const p = r.page(0, 3);
  assert.deepEqual(
    p.events.map((e) => e.seq),
    [1, 2, 3],
  );
  assert.equal(p.next, 3);
  assert.equal(p.more, true);
  assert.equal(p.missed, 0);
  const seen: number[] = [];
  let since = 0;
  for (;;) {
    const q = r.page(since, 4);
    seen.push(...q.events.map((e) => e.seq));
    since = q.next;
    if (!q.more) break;
  }
  assert.deepEqual(
    seen,
    Array.from({ length: 19 }, (_, i) => i + 1),
  );
  assert.deepEqual(r.page(19, 3), { events: [], next: 19, more: false, missed: 0 });
});

test('events: a client that fell behind the ring is told how many it missed', () => {
  const r = new EventRing(3);
  for (let i = 0; i < 5; i++) r.push({ action: 'x', i });
  const p = r.page(0, 1);
  assert.deepEqual(
    p.events.map((e) => e.seq),
    [3],
  );
  assert.equal(p.missed, 2);
  assert.equal(p.more, true);
});

test('metrics: renamed/removed interfaces leave no stale series', async () => {
  const m = new AgentMetrics({ defaultMetrics: false });
  m.setInterface(5, 'tap0', 'vm-port', [{ feature: 'tx-tcp-segmentation', active: false, want: false }], true);
  m.setInterface(5, 'vnet7', 'vm-port', [{ feature: 'tx-tcp-segmentation', active: true, want: false }], false);
  let t = await m.text();
  assert.doesNotMatch(t, /tap0/);
  assert.match(t, /offloadctl_interface_compliant\{interface="vnet7",role="vm-port"\} 0/);
  assert.match(t, /offloadctl_feature_compliant\{interface="vnet7",feature="tx-tcp-segmentation"\} 0/);
  m.remove(5);
  t = await m.text();
  assert.doesNotMatch(t, /vnet7/);
  m.setStateCounts({ compliant: 2, held: 1 });
  m.setStateCounts({ compliant: 3 });
  t = await m.text();
  assert.match(t, /offloadctl_interfaces\{state="held"\} 0/);
  assert.match(t, /offloadctl_interfaces\{state="compliant"\} 3/);
});

test('systemd unit: hardening, capability, ExecStart quoting, credential token, SCHED_FIFO 1 unless normal', () => {
  const u = renderUnit({
    execPath: '/usr/bin/offloadctl',
    args: ['--policy', '/etc/offload ctl/p.yaml', '--mode', 'enforce'],
    tokenSource: '/etc/offloadctl/agent.token',
  });
  assert.match(
    u,
    /^ExecStart=\/usr\/bin\/offloadctl agent --policy "\/etc\/offload ctl\/p.yaml" --mode enforce --token-file %d\/token$/m,
  );
  for (const line of [
    'Type=simple',
    'CapabilityBoundingSet=CAP_NET_ADMIN',
    'AmbientCapabilities=CAP_NET_ADMIN',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'StateDirectory=offloadctl',
    'LoadCredential=token:/etc/offloadctl/agent.token',
    'ExecReload=/bin/kill -HUP $MAINPID',
  ])
    assert.ok(u.split('\n').includes(line), line);
  for (const line of ['CPUSchedulingPolicy=fifo', 'CPUSchedulingPriority=1', 'RestrictRealtime=yes'])
    assert.ok(u.split('\n').includes(line), line);
  const normal = renderUnit({ execPath: '/usr/bin/offloadctl', args: [], realtime: false });
  assert.ok(!normal.includes('CPUScheduling'), '--scheduling normal: no scheduling lines');
  const root = mkdtempSync(join(tmpdir(), 'olc-unit-'));
  try {
    const p = installUnit(root, u);
    assert.equal(p, join(root, 'etc/systemd/system/offloadctl-agent.service'));
    assert.equal(readFileSync(p, 'utf8'), u);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('journal: one line per change, 0600, rotated', () => {
  const d = mkdtempSync(join(tmpdir(), 'olc-journal-'));
  try {
    const j = fileJournal(d, 200);
    j.record([
      {
        ifindex: 5,
        ifname: 'tap0',
        reason: 'new',
        before: { 'tx-tcp-segmentation': true },
        after: { 'tx-tcp-segmentation': false },
      },
    ]);
    const p = join(d, 'agent-journal.jsonl');
    assert.equal(statSync(p).mode & 0o777, 0o600);
    const line = JSON.parse(readFileSync(p, 'utf8').trim()) as { ifname: string };
    assert.equal(line.ifname, 'tap0');
    for (let i = 0; i < 5; i++) j.record([{ ifindex: i, ifname: `x${i}`, reason: 'new', before: {}, after: {} }]);
    assert.ok(statSync(p + '.1').size > 0);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('work queue with window 0: marks made in one turn form one batch', async () => {
  const batches: number[][] = [];
  const q = new WorkQueue<number>(
    async (b) => {
      batches.push(b.keys);
    },
    { windowMs: 0 },
  );
  for (let i = 0; i < 50; i++) q.mark(i);
  await q.idle();
  q.mark(99);
  await q.idle();
  assert.deepEqual(
    batches.map((b) => b.length),
    [50, 1],
  );
});
