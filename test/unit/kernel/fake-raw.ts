/** A stand-in for the netlink package's RawNetlinkSocket, for unit tests of the layers above it. */
import { EventEmitter } from 'node:events';
import type { RawSocketLike } from '../../../src/kernel/netlink/socket.js';
import { parseMessages, type NlMessage } from '../../../src/kernel/netlink/nlmsg.js';

/** Stands in for the package's raw socket: records what is sent, lets the test play the kernel. */
export class FakeRaw extends EventEmitter implements RawSocketLike {
  sent: NlMessage[] = [];
  /** Called for every request sent (after recording it): play the kernel here. */
  onSend: ((req: NlMessage) => void) | null = null;
  refs = 0;
  closed = false;
  send(msg: Uint8Array, _o: Record<string, never>, cb: (e?: { errno: number; syscall: string }) => void): void {
    const msgs = parseMessages(Buffer.from(msg));
    this.sent.push(...msgs);
    queueMicrotask(() => {
      cb();
      for (const m of msgs) this.onSend?.(m);
    });
  }
  address() {
    return { port: 4242 };
  }
  ref() {
    this.refs++;
  }
  unref() {
    this.refs--;
  }
  close() {
    this.closed = true;
  }
  addMembership() {}
  deliver(...msgs: Buffer[]) {
    this.emit('message', Buffer.concat(msgs));
  }
}
