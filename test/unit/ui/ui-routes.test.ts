import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttp, type AgentApi } from '../../../src/agent/http.js';
import { EventRing } from '../../../src/agent/events.js';
import type { FeatureMap, LinkInfo } from '../../../src/model/types.js';
import { loadProfile } from '../../../src/policy/lazy.js';
import { isLiteralHost, uiRoutes } from '../../../src/ui/server/ui-routes.js';
import type { AgentView } from '../../../src/ui/server/ui-data.js';
import type { UiPatch, UiSnapshot } from '../../../src/ui/shared/types.js';
import { feats, link } from '../agent/fixtures.js';

const TOKEN = 'abcdefghijklmnop0123456789';

const api: AgentApi = {
  metrics: async () => ({ contentType: 'text/plain', body: '' }),
  state: () => ({}),
  events: () => ({}),
  health: () => ({ ok: true, reason: 'ok' }),
  reconcile: async () => ({}),
  setMode: (m) => ({ mode: m }),
};

async function withUi(
  fn: (
    base: string,
    h: { features: Map<number, FeatureMap>; links: Map<number, LinkInfo>; ring: EventRing; kernelOpened: () => number },
  ) => Promise<void>,
  assetsDir: string | null = null,
  allowedHost?: (h: string) => boolean,
) {
  const links = new Map<number, LinkInfo>([[2, link(2, 've0', 'veth')]]);
  const features = new Map<number, FeatureMap>([
    [
      2,
      feats({
        'tx-generic-segmentation': { active: false, requested: false },
        'tx-tcp-segmentation': { active: false, requested: false },
        'tx-tcp6-segmentation': { active: false, requested: false },
      }),
    ],
  ]);
  const ring = new EventRing(100);
  const view: AgentView = {
    links,
    features,
    tracked: () => ({ state: 'compliant', finding: null }),
    policy: () => loadProfile('tso-gso-off'),
    mode: () => 'enforce',
    ready: () => true,
    backend: 'netlink',
  };
  let opened = 0;
  const ui = uiRoutes({
    view,
    events: { list: (s, l) => ring.list(s, l), subscribe: (f) => ring.subscribe(f) },
    token: () => TOKEN,
    actions: {
      openKernel: async () => {
        opened++;
        throw new Error('no kernel in unit tests');
      },
      stateDir: '/nonexistent',
      agentMode: () => 'enforce',
      agentPolicy: () => 'tso-gso-off',
    },
    assetsDir,
    sse: { maxClients: 2, heartbeatMs: 0 },
    live: { fullDiffMs: 50, eventFlushMs: 5 },
    allowedHost,
  });
  const server = await startHttp(api, { host: '127.0.0.1', port: 0, token: () => TOKEN, ui: ui.handle });
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      features,
      links,
      ring,
      kernelOpened: () => opened,
    });
  } finally {
    ui.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

test('GET / serves the built page with a strict CSP; the assets too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'olc-ui-assets-'));
  try {
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(join(dir, 'app.js'), 'void 0');
    writeFileSync(join(dir, 'app.css'), 'body{}');
    await withUi(async (base) => {
      const r = await fetch(base + '/');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type')!, /text\/html/);
      const csp = r.headers.get('content-security-policy')!;
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /script-src 'self';/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe/);
      assert.equal((await fetch(base + '/ui/app.js')).headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.equal((await fetch(base + '/ui/app.css')).status, 200);
      assert.equal((await fetch(base + '/ui/other.js')).status, 404);
      // the agent's own routes still answer
      assert.equal((await fetch(base + '/healthz')).status, 200);
    }, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every action POST without (or with a wrong) token: 401 before the body is read or a kernel opened', async () => {
  await withUi(async (base, h) => {
    for (const path of ['/api/plan', '/api/apply', '/api/restore']) {
      for (const auth of [undefined, 'Bearer wrong-token-0123456789', `Basic ${TOKEN}`]) {
        const r = await fetch(base + path, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
          body: '{"profile":"offloads-on"}',
        });
        assert.equal(r.status, 401, `${path} ${auth}`);
        assert.match(r.headers.get('www-authenticate')!, /Bearer/);
      }
    }
    assert.equal(h.kernelOpened(), 0);
    // with the token: the agent enforces tso-gso-off, so another policy is refused (409), still no kernel
    const r = await fetch(base + '/api/apply', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: '{"profile":"offloads-on"}',
    });
    assert.equal(r.status, 409);
    assert.equal(h.kernelOpened(), 0);
    const bad = await fetch(base + '/api/apply', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: '{"profile":"nope"}',
    });
    assert.equal(bad.status, 400);
  });
});

test('state and the event stream: agent events and changed rows arrive without polling; at most maxClients streams', async () => {
  await withUi(async (base, h) => {
    const s = (await (await fetch(base + '/api/ui/state')).json()) as UiSnapshot;
    assert.equal(s.rows.length, 1);
    assert.equal(s.rows[0]!.name, 've0');
    const stream = await openStream(base + '/api/stream');
    const second = await openStream(base + '/api/stream');
    const third = await new Promise<IncomingMessage>((resolve) => request(base + '/api/stream', resolve).end());
    assert.equal(third.statusCode, 503, 'a third stream is refused');
    third.resume();
    // drift: features change, the agent pushes an event naming the interface
    h.features.set(2, feats());
    h.ring.push({ action: 'drift', interface: 've0', ifindex: 2, finding: 'drift' });
    const text = await stream.until((t) => t.includes('event: rows'));
    assert.match(text, /event: agent\ndata: \{"action":"drift"/);
    const patch = JSON.parse(/event: rows\ndata: (.*)\n/.exec(text)![1]!) as UiPatch;
    assert.equal(patch.rows[0]!.name, 've0');
    assert.ok(patch.version > s.version);
    // a link gone: reported in a patch by the periodic comparison
    h.links.delete(2);
    const t2 = await stream.until((t) => /"gone":\[2\]/.test(t));
    assert.match(t2, /"gone":\[2\]/);
    stream.close();
    second.close();
  });
});

function openStream(
  url: string,
): Promise<{ until: (f: (t: string) => boolean) => Promise<string>; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type']!, /text\/event-stream/);
      let text = '';
      const waiters: (() => void)[] = [];
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        for (const w of waiters.splice(0)) w();
      });
      resolve({
        until: (f) =>
          new Promise((ok, fail) => {
            const t = setTimeout(() => fail(new Error(`stream: not seen in 5 s; got ${text}`)), 5000);
            const check = () => {
              if (f(text)) {
                clearTimeout(t);
                ok(text);
              } else waiters.push(check);
            };
            check();
          }),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

test('loopback listener: a Host that is not an IP literal or localhost gets 421 (DNS rebinding)', async () => {
  assert.equal(isLiteralHost('127.0.0.1:9469'), true);
  assert.equal(isLiteralHost('[::1]:9469'), true);
  assert.equal(isLiteralHost('localhost:9469'), true);
  assert.equal(isLiteralHost('LOCALHOST'), true);
  assert.equal(isLiteralHost('evil.example:9469'), false);
  assert.equal(isLiteralHost('127.0.0.1.evil.example'), false);
  assert.equal(isLiteralHost(''), false);
  await withUi(
    async (base) => {
      const get = (path: string, host: string) =>
        new Promise<number>((resolve, reject) => {
          const r = request(base + path, { headers: { host } }, (res) => {
            res.resume();
            resolve(res.statusCode!);
          });
          r.on('error', reject);
          r.end();
        });
      assert.equal(await get('/api/ui/state', 'evil.example:9469'), 421);
      assert.equal(await get('/api/stream', 'evil.example'), 421);
      assert.equal(await get('/api/ui/state', '127.0.0.1:1'), 200);
    },
    null,
    isLiteralHost,
  );
});
