import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventRing } from '../../../src/agent/events.js';
import type { FeatureMap, LinkInfo } from '../../../src/model/types.js';
import { loadProfile } from '../../../src/policy/lazy.js';
import type { SseHub } from '../../../src/ui/server/sse.js';
import { UiLive } from '../../../src/ui/server/ui-live.js';
import type { UiPatch } from '../../../src/ui/shared/types.js';
import { feats, link } from '../agent/fixtures.js';

test('a burst of events: each goes out at once, their rows in a few patches once the events pause', async () => {
  const links = new Map<number, LinkInfo>();
  const features = new Map<number, FeatureMap>();
  const ring = new EventRing(1000);
  const published: { event: string; data: unknown; at: number }[] = [];
  const hub = {
    size: 1,
    publish: (event: string, data: unknown) => published.push({ event, data, at: Date.now() }),
  } as unknown as SseHub;
  let built = 0;
  const live = new UiLive(
    {
      links,
      features,
      tracked: () => (built++, { state: 'compliant', finding: null }),
      policy: () => loadProfile('tso-gso-off'),
      mode: () => 'enforce',
      ready: () => true,
      backend: 'netlink',
    },
    { list: (s, l) => ring.list(s, l), subscribe: (f) => ring.subscribe(f) },
    hub,
    { fullDiffMs: 60_000, eventFlushMs: 40, eventMaxDelayMs: 10_000 },
  );
  try {
    const N = 300;
    for (let i = 1; i <= N; i++) {
      links.set(i, link(i, `tap${i}`, 'tun'));
      features.set(i, feats());
    }
    const t0 = Date.now();
    for (let i = 1; i <= N; i++) {
      ring.push({ action: 'enforce', interface: `tap${i}`, ifindex: i });
      if (i % 30 === 0) await new Promise((r) => setTimeout(r, 5)); // a burst spread over a few event-loop turns
    }
    const burstEnd = Date.now();
    const agentEvents = published.filter((p) => p.event === 'agent').length;
    assert.equal(agentEvents, N, 'every event went out as it came');
    assert.equal(built, 0, 'no row was built while the events kept coming');
    const deadline = Date.now() + 5000;
    const rowsSent = () =>
      new Set(
        published.filter((p) => p.event === 'rows').flatMap((p) => (p.data as UiPatch).rows.map((r) => r.ifindex)),
      );
    while (rowsSent().size < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(rowsSent().size, N, 'every named row was sent');
    const patches = published.filter((p) => p.event === 'rows');
    assert.ok(patches.length <= Math.ceil(N / 64) + 1, `${patches.length} patches for ${N} rows`);
    assert.ok(patches[0]!.at >= burstEnd, 'rows only after the burst paused');
    assert.ok(t0 <= burstEnd);
    assert.equal(built, N, 'each row built once');
  } finally {
    live.close();
  }
});
