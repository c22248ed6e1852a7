import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { ChildRequestSocket } from '../../../src/kernel/monitor/request-socket.js';
import { NlSocket } from '../../../src/kernel/netlink/socket.js';
import { encodeMessage, NLMSG_ERROR, parseMessages } from '../../../src/kernel/netlink/nlmsg.js';
import { KernelError } from '../../../src/kernel/types.js';

/** A stand-in for the monitor process: records what the agent sends it. */
class FakeChild extends EventEmitter {
  connected = true;
  sent: { t: string; b: Uint8Array }[] = [];
  failWith: Error | null = null;
  send(m: { t: string; b: Uint8Array }, cb: (e: Error | null) => void): boolean {
    this.sent.push(m);
    queueMicrotask(() => cb(this.failWith));
    return true;
  }
}

const ack = (seq: number) => {
  const e = Buffer.alloc(4 + 16);
  return encodeMessage(NLMSG_ERROR, 0x100, seq, 77, [e]);
};
const tick = () => new Promise((r) => setImmediate(r));

test('request socket in the monitor process: NlSocket requests travel as bytes, answers come back', async () => {
  const child = new FakeChild();
  const raw = new ChildRequestSocket(() => child as unknown as ChildProcess);
  raw.port = 77;
  const s = new NlSocket(16, raw);
  const a = s.request(21, [Buffer.alloc(4)]);
  const b = s.request(21, [Buffer.alloc(4)]);
  await tick();
  assert.equal(child.sent.length, 1, 'requests of one run: one datagram');
  const msgs = parseMessages(Buffer.from(child.sent[0]!.b));
  assert.equal(msgs.length, 2);
  assert.equal(msgs[0]!.pid, 77);
  raw.deliver(Buffer.concat([ack(msgs[0]!.seq), ack(msgs[1]!.seq)]));
  assert.equal((await a).messages.length, 0);
  await b;
  // the monitor process died with a request on the way: it fails
  const c = s.request(21, [Buffer.alloc(4)]);
  await tick();
  raw.fail(5, 'monitor process exited');
  await assert.rejects(c, (e: unknown) => e instanceof KernelError && e.code === 'io');
  // a failed write to it (EPIPE) and no process at all fail the request, nothing throws
  child.failWith = Object.assign(new Error('write EPIPE'), { errno: -32 });
  await assert.rejects(s.request(21, [Buffer.alloc(4)]), KernelError);
  child.connected = false;
  await assert.rejects(s.request(21, [Buffer.alloc(4)]), KernelError);
  s.close();
});

test('request socket: a failure with nobody listening is not an uncaught error', () => {
  const raw = new ChildRequestSocket(() => null);
  raw.fail(5, 'monitor process exited');
});
