import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startHttp, type AgentApi } from '../../../src/agent/http.js';
import { readTokenFile, checkBearer } from '../../../src/agent/token.js';
import { parseListen, checkListenAllowed, isLoopback } from '../../../src/agent/listen.js';
import { OffloadError } from '../../../src/model/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'olc-agent-http-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'abcdefghijklmnop0123456789';

function fakeApi() {
  const calls: string[] = [];
  let mode = 'enforce';
  const api: AgentApi = {
    metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'x 1\n' }),
    state: () => ({ mode }),
    events: (since, limit) => ({ since, limit }),
    health: () => ({ ok: true, reason: 'ok' }),
    reconcile: async () => {
      calls.push('reconcile');
      return { done: true };
    },
    setMode: (m) => {
      calls.push('mode ' + m);
      mode = m;
      return { mode: m };
    },
  };
  return { api, calls, mode: () => mode };
}

async function withServer(fn: (base: string, f: ReturnType<typeof fakeApi>) => Promise<void>) {
  const f = fakeApi();
  const server = await startHttp(f.api, { host: '127.0.0.1', port: 0, token: () => TOKEN });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await fn(base, f);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

test('GET routes answer', async () => {
  await withServer(async (base) => {
    assert.equal((await fetch(base + '/metrics')).status, 200);
    assert.deepEqual(await (await fetch(base + '/api/state')).json(), { mode: 'enforce' });
    assert.deepEqual(await (await fetch(base + '/api/events?since=4&limit=2')).json(), { since: 4, limit: 2 });
    assert.equal(await (await fetch(base + '/healthz')).text(), 'ok\n');
    assert.equal((await fetch(base + '/nope')).status, 404);
  });
});

test('POST without or with a wrong token: 401 and nothing changes', async () => {
  await withServer(async (base, f) => {
    for (const headers of <Record<string, string>[]>[
      {},
      { authorization: 'Bearer wrong-token-000000000' },
      { authorization: TOKEN },
      { authorization: `Basic ${TOKEN}` },
    ]) {
      const r1 = await fetch(base + '/api/reconcile', { method: 'POST', headers });
      assert.equal(r1.status, 401);
      assert.match(r1.headers.get('www-authenticate') ?? '', /Bearer/);
      const r2 = await fetch(base + '/api/mode', { method: 'POST', headers, body: '{"mode":"report"}' });
      assert.equal(r2.status, 401);
    }
    assert.deepEqual(f.calls, []);
    assert.equal(f.mode(), 'enforce');
  });
});

test('POST with the token works; bad mode body is 400', async () => {
  await withServer(async (base, f) => {
    const h = { authorization: `Bearer ${TOKEN}` };
    assert.equal((await fetch(base + '/api/reconcile', { method: 'POST', headers: h })).status, 200);
    assert.equal(
      (await fetch(base + '/api/mode', { method: 'POST', headers: h, body: '{"mode":"report"}' })).status,
      200,
    );
    assert.equal(
      (await fetch(base + '/api/mode', { method: 'POST', headers: h, body: '{"mode":"yolo"}' })).status,
      400,
    );
    assert.deepEqual(f.calls, ['reconcile', 'mode report']);
  });
});

test('no token configured: every POST is 401', async () => {
  const f = fakeApi();
  const server = await startHttp(f.api, { host: '127.0.0.1', port: 0, token: () => null });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const r = await fetch(base + '/api/reconcile', { method: 'POST', headers: { authorization: 'Bearer ' } });
  assert.equal(r.status, 401);
  assert.deepEqual(f.calls, []);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

test('token file must be 0600 (not group/world readable)', () => {
  const p = join(dir, 'token');
  writeFileSync(p, TOKEN + '\n');
  chmodSync(p, 0o644);
  assert.throws(
    () => readTokenFile(p),
    (e: unknown) => e instanceof OffloadError && e.exitCode === 2 && /chmod 600/.test(e.message),
  );
  chmodSync(p, 0o640);
  assert.throws(() => readTokenFile(p), OffloadError);
  chmodSync(p, 0o600);
  assert.equal(readTokenFile(p), TOKEN);
  writeFileSync(p, 'short');
  assert.throws(() => readTokenFile(p), /at least 16/);
  assert.throws(() => readTokenFile(join(dir, 'missing')), /ENOENT/);
  assert.equal(checkBearer(`Bearer ${TOKEN}`, TOKEN), true);
  assert.equal(checkBearer(`bearer  ${TOKEN} `, TOKEN), true);
  assert.equal(checkBearer(`Bearer ${TOKEN}x`, TOKEN), false);
  assert.equal(checkBearer(undefined, TOKEN), false);
});

test('listen addresses: loopback ok; others need --allow-remote and a token', () => {
  assert.deepEqual(parseListen('127.0.0.1:9469'), { host: '127.0.0.1', port: 9469, loopback: true });
  assert.deepEqual(parseListen('[::1]:9469'), { host: '::1', port: 9469, loopback: true });
  assert.equal(parseListen('localhost:1').loopback, true);
  assert.equal(parseListen(':9469').host, '0.0.0.0');
  assert.equal(isLoopback('::ffff:127.0.0.1'), true);
  assert.equal(isLoopback('10.0.0.1'), false);
  assert.throws(() => parseListen('9469'), OffloadError);
  assert.throws(() => parseListen('1.2.3.4:99999'), OffloadError);
  assert.throws(() => parseListen('example.com:80'), OffloadError);
  const remote = parseListen('0.0.0.0:9469');
  assert.throws(() => checkListenAllowed(remote, false, true), /--allow-remote/);
  assert.throws(() => checkListenAllowed(remote, true, false), /--token-file/);
  checkListenAllowed(remote, true, true);
  checkListenAllowed(parseListen('127.0.0.1:1'), false, false);
});
