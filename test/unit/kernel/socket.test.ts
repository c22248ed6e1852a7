import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_IN_FLIGHT, NlSocket } from '../../../src/kernel/netlink/socket.js';
import { FakeRaw } from './fake-raw.js';
import {
  encodeMessage,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLMSG_DONE,
  NLMSG_ERROR,
  type NlMessage,
} from '../../../src/kernel/netlink/nlmsg.js';
import { KernelError } from '../../../src/kernel/types.js';

const errno = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(-n, 0);
  return b;
};
/** NLMSG_ERROR answering request `req` (errno 0 = ACK). */
const ack = (req: NlMessage, e = 0) =>
  encodeMessage(NLMSG_ERROR, 0x100, req.seq, 4242, [
    errno(e),
    encodeMessage(req.type, req.flags, req.seq, req.pid, []).subarray(0, 16),
  ]);
const reply = (req: NlMessage, body: number[], flags = 0) =>
  encodeMessage(req.type, flags, req.seq, 4242, [Buffer.from(body)]);
const done = (req: NlMessage, e = 0, flags = NLM_F_MULTI) =>
  encodeMessage(NLMSG_DONE, flags, req.seq, 4242, [errno(e)]);
const tick = () => new Promise((r) => setImmediate(r));

test('request: NLM_F_REQUEST|NLM_F_ACK, reply collected, resolved on the ACK', async () => {
  const raw = new FakeRaw();
  const s = new NlSocket(16, raw);
  const p = s.request(21, [Buffer.from([1, 1, 0, 0])]);
  await tick();
  const [req] = raw.sent;
  assert.equal(req!.flags, 0x1 | NLM_F_ACK);
  assert.equal(req!.pid, 4242);
  raw.deliver(reply(req!, [1, 2, 3, 4]), ack(req!));
  const r = await p;
  assert.equal(r.messages.length, 1);
  assert.deepEqual([...r.messages[0]!.payload], [1, 2, 3, 4]);
  s.close();
});

test('errors become KernelErrors by errno; other sequence numbers are notifications', async () => {
  const raw = new FakeRaw();
  const s = new NlSocket(16, raw);
  const seen: number[] = [];
  s.onNotification = (m) => seen.push(m.type);
  const p = s.request(21, [Buffer.alloc(4)], { what: 'FEATURES_GET eth9', ifname: 'eth9' });
  await tick();
  raw.deliver(encodeMessage(21, 0, 0, 0, [Buffer.alloc(4)])); // multicast (seq 0)
  raw.deliver(ack(raw.sent[0]!, 19));
  await assert.rejects(p, (e: unknown) => e instanceof KernelError && e.code === 'not-found' && e.errno === 19);
  assert.deepEqual(seen, [21]);
  s.close();
});

test('dump: NLM_F_DUMP, multipart until DONE; DONE errno (EMSGSIZE) is an error, not a short result', async () => {
  const raw = new FakeRaw();
  const s = new NlSocket(16, raw);
  const p = s.request(21, [Buffer.alloc(4)], { dump: true });
  await tick();
  const [req] = raw.sent;
  assert.equal(req!.flags & NLM_F_DUMP, NLM_F_DUMP);
  raw.deliver(reply(req!, [1, 0, 0, 0], NLM_F_MULTI), reply(req!, [2, 0, 0, 0], NLM_F_MULTI));
  raw.deliver(done(req!, 90));
  await assert.rejects(p, (e: unknown) => e instanceof KernelError && e.errno === 90);
  const p2 = s.request(21, [Buffer.alloc(4)], { dump: true });
  await tick();
  const req2 = raw.sent[1]!;
  raw.deliver(reply(req2, [1, 0, 0, 0], NLM_F_MULTI | NLM_F_DUMP_INTR), done(req2, 0, NLM_F_MULTI | NLM_F_DUMP_INTR));
  const r2 = await p2;
  assert.equal(r2.interrupted, true);
  assert.equal(r2.messages.length, 1);
  s.close();
});

test(`never more than ${MAX_IN_FLIGHT} requests on the wire; the rest wait`, async () => {
  const raw = new FakeRaw();
  const s = new NlSocket(16, raw);
  const ps = Array.from({ length: 100 }, () => s.request(21, [Buffer.alloc(4)]));
  await tick();
  assert.equal(raw.sent.length, MAX_IN_FLIGHT);
  let answered = 0;
  while (answered < 100) {
    const batch = raw.sent.slice(answered);
    assert.ok(batch.length <= MAX_IN_FLIGHT);
    for (const m of batch) raw.deliver(ack(m));
    answered += batch.length;
    await tick();
  }
  assert.equal((await Promise.all(ps)).length, 100);
  s.close();
});

test('a dump waits for requests in flight and runs alone (the kernel allows one dump per socket)', async () => {
  const raw = new FakeRaw();
  const s = new NlSocket(16, raw);
  const a = s.request(21, [Buffer.alloc(4)]);
  const d1 = s.request(21, [Buffer.alloc(4)], { dump: true });
  const d2 = s.request(21, [Buffer.alloc(4)], { dump: true });
  const b = s.request(21, [Buffer.alloc(4)]);
  await tick();
  assert.equal(raw.sent.length, 1); // only `a`
  raw.deliver(ack(raw.sent[0]!));
  await tick();
  assert.equal(raw.sent.length, 2); // d1 alone
  raw.deliver(done(raw.sent[1]!));
  await tick();
  assert.equal(raw.sent.length, 3); // d2 alone
  raw.deliver(done(raw.sent[2]!));
  await tick();
  assert.equal(raw.sent.length, 4); // then b
  raw.deliver(ack(raw.sent[3]!));
  await Promise.all([a, d1, d2, b]);
  s.close();
});

test('timeouts, truncation and close reject what is pending; the socket is referenced only while busy', async () => {
  const raw = new FakeRaw();
  const s = new NlSocket(16, raw);
  // the real raw socket keeps the event loop alive while referenced; the stand-in does not
  const keepAlive = setInterval(() => {}, 1000);
  assert.equal(raw.refs, -1); // unref'd when idle
  const t = s.request(21, [Buffer.alloc(4)], { timeoutMs: 20 });
  await tick();
  assert.equal(raw.refs, 0);
  await assert.rejects(t, (e: unknown) => e instanceof KernelError && e.code === 'io' && /no answer/.test(e.message));
  assert.equal(raw.refs, -1);
  const d = s.request(21, [Buffer.alloc(4)], { dump: true });
  await tick();
  raw.emit('truncatedMessage', Buffer.alloc(0));
  await assert.rejects(d, /truncated/);
  const q = s.request(21, [Buffer.alloc(4)]);
  s.close();
  await assert.rejects(q, /closed/);
  assert.equal(raw.closed, true);
  await assert.rejects(s.request(21, []), /closed/);
  clearInterval(keepAlive);
});

test("ackless: no NLM_F_ACK but on the datagram's last message; its ACK completes the batch, a failure rejects only its request", async () => {
  const raw = new FakeRaw();
  const s = new NlSocket(16, raw);
  const ps = [0, 1, 2, 3].map((i) => s.request(21, [Buffer.from([i, 0, 0, 0])], { ackless: true, ifname: `t${i}` }));
  const settled: string[] = [];
  ps.forEach((p, i) =>
    p.then(
      () => settled.push(`ok${i}`),
      (e: KernelError) => settled.push(`err${i}:${e.errno}`),
    ),
  );
  await tick();
  assert.equal(raw.sent.length, 4);
  assert.deepEqual(
    raw.sent.map((m) => m.flags & NLM_F_ACK),
    [0, 0, 0, NLM_F_ACK],
  );
  // the kernel answers only the failure of #1, then the last message's ACK
  raw.deliver(ack(raw.sent[1]!, 19));
  await tick();
  assert.deepEqual(settled, ['err1:19'], 'nothing else is settled before the ACK');
  raw.deliver(ack(raw.sent[3]!));
  await Promise.allSettled(ps);
  await tick();
  assert.deepEqual(settled.sort(), ['err1:19', 'ok0', 'ok2', 'ok3']);
  s.close();
});

test('ackless: an ACK of another datagram does not complete them', async () => {
  const raw = new FakeRaw();
  const s = new NlSocket(16, raw);
  const first = [0, 1].map((i) => s.request(21, [Buffer.from([i, 0, 0, 0])], { ackless: true }));
  await tick();
  const second = s.request(21, [Buffer.from([9, 0, 0, 0])]);
  await tick();
  assert.equal(raw.sent.length, 3);
  let done = 0;
  first.forEach((p) => p.then(() => done++));
  raw.deliver(ack(raw.sent[2]!)); // the later datagram's ACK
  await second;
  await tick();
  assert.equal(done, 0);
  raw.deliver(ack(raw.sent[1]!));
  await Promise.all(first);
  s.close();
});

test('ackless: without the ACK they time out with their datagram', async () => {
  const raw = new FakeRaw();
  const s = new NlSocket(16, raw);
  const keepAlive = setTimeout(() => {}, 5_000); // the socket's own timer is unref'd
  const ps = [0, 1, 2].map((i) => s.request(21, [Buffer.from([i, 0, 0, 0])], { ackless: true, timeoutMs: 20 }));
  const r = await Promise.allSettled(ps);
  clearTimeout(keepAlive);
  assert.deepEqual(
    r.map((x) => x.status),
    ['rejected', 'rejected', 'rejected'],
  );
  s.close();
});

/** n whole messages of `type` back to back (4-byte payloads), for requestMany. */
function prebuilt(type: number, n: number): { datagram: Buffer; offsets: number[] } {
  const msgs = Array.from({ length: n }, (_, i) => encodeMessage(type, 0, 0, 0, [Buffer.from([i, 0, 0, 0])]));
  const offsets = msgs.map((_, i) => i * 20);
  return { datagram: Buffer.concat(msgs), offsets };
}
const describe = (i: number) => ({ what: `FEATURES_SET t${i}`, ifname: `t${i}` });

test('requestMany: one datagram, numbered here, NLM_F_ACK only on the last; failures by seq, the ACK ends it', async () => {
  const raw = new FakeRaw();
  const s = new NlSocket(16, raw);
  const { datagram, offsets } = prebuilt(21, 4);
  const p = s.requestMany(21, datagram, offsets, describe);
  await tick();
  assert.equal(raw.sent.length, 4);
  assert.deepEqual(
    raw.sent.map((m) => m.flags),
    [1, 1, 1, 1 | NLM_F_ACK],
  );
  assert.equal(new Set(raw.sent.map((m) => m.seq)).size, 4, 'a sequence number each');
  assert.ok(raw.sent.every((m) => m.pid === 4242 && m.type === 21));
  assert.deepEqual(
    raw.sent.map((m) => m.payload[0]),
    [0, 1, 2, 3],
  );
  // the kernel answers the failure of #1, then the last message's ACK
  raw.deliver(ack(raw.sent[1]!, 19));
  raw.deliver(ack(raw.sent[3]!));
  const errors = await p;
  assert.equal(errors.length, 4);
  assert.equal(errors[0], null);
  assert.ok(errors[1] instanceof KernelError && errors[1].code === 'not-found' && errors[1].ifname === 't1');
  assert.equal(errors[2], null);
  assert.equal(errors[3], null);
  s.close();
});

test("requestMany: the last message's own failure is its error; the datagram waits for a free wire", async () => {
  const raw = new FakeRaw();
  const s = new NlSocket(16, raw);
  const first = s.request(21, [Buffer.alloc(4)]);
  const { datagram, offsets } = prebuilt(21, 2);
  const p = s.requestMany(21, datagram, offsets, describe);
  await tick();
  assert.equal(raw.sent.length, 1, 'not while another request is on the wire');
  raw.deliver(ack(raw.sent[0]!));
  await first;
  await tick();
  assert.equal(raw.sent.length, 3);
  raw.deliver(ack(raw.sent[2]!, 1));
  const errors = await p;
  assert.equal(errors[0], null);
  assert.equal(errors[1]!.code, 'permission-denied');
  s.close();
});

test('requestMany: no answer → rejected at the timeout; sequence numbers wrap without 0', async () => {
  const raw = new FakeRaw();
  const s = new NlSocket(16, raw);
  (s as unknown as { seq: number }).seq = 0xfffffffe;
  const keepAlive = setTimeout(() => {}, 5_000);
  const { datagram, offsets } = prebuilt(21, 3);
  const p = s.requestMany(21, datagram, offsets, describe, 20);
  await assert.rejects(p, /no answer from the kernel/);
  clearTimeout(keepAlive);
  assert.deepEqual(
    raw.sent.map((m) => m.seq),
    [0xffffffff, 1, 2],
  );
  const again = prebuilt(21, 3);
  const q = s.requestMany(21, again.datagram, again.offsets, describe);
  await tick();
  raw.deliver(ack(raw.sent[4]!, 19), ack(raw.sent[5]!));
  const errors = await q;
  assert.deepEqual(
    errors.map((e) => e?.code ?? null),
    [null, 'not-found', null],
  );
  s.close();
});
