import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseHub } from '../../../src/ui/server/sse.js';

test('publish costs the caller a push: nothing is serialised or written until the event loop turns', async () => {
  const hub = new SseHub({ heartbeatMs: 0 });
  const writes: string[] = [];
  const res = { writeHead() {}, write: (t: string) => writes.push(t), end() {}, on() {}, writableLength: 0 } as never;
  const req = { socket: { setNoDelay() {}, setTimeout() {} } } as never;
  assert.equal(hub.add(req, res), true);
  writes.length = 0;
  let serialised = 0;
  const data = { toJSON: () => ++serialised };
  hub.publish('agent', data);
  hub.publish('agent', data);
  assert.equal(serialised, 0);
  assert.equal(writes.length, 0);
  await new Promise((r) => setImmediate(r));
  assert.equal(serialised, 2);
  assert.deepEqual(writes, ['event: agent\ndata: 1\n\nevent: agent\ndata: 2\n\n'], 'one write per flush');
  hub.close();
});

test('a client that does not read is dropped once its backlog passes the limit; the others keep streaming', async () => {
  const hub = new SseHub({ maxQueuedBytes: 64 * 1024, heartbeatMs: 0 });
  const server = createServer((req, res) => hub.add(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const slow = await new Promise<IncomingMessage>((resolve) => request(url, resolve).end());
    slow.pause(); // never reads: the kernel's socket buffers fill, then Node queues
    let fastBytes = 0;
    const fast = await new Promise<IncomingMessage>((resolve) => request(url, resolve).end());
    fast.on('data', (c: Buffer) => (fastBytes += c.length));
    let slowClosed = false;
    slow.socket.on('close', () => (slowClosed = true));
    const big = 'x'.repeat(32 * 1024);
    for (let i = 0; i < 400 && !(slowClosed && hub.size === 1); i++) {
      hub.publish('rows', big);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(hub.dropped, 1, 'the slow client was dropped');
    assert.equal(hub.size, 1, 'the reading client stays');
    assert.ok(fastBytes > 1 << 20, `the reading client got ${fastBytes} bytes`);
    fast.destroy();
  } finally {
    hub.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
