import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import type { RawSocketLike } from '../netlink/socket.js';
import type { ChildRequest } from './child.js';

const EIO = 5;

/**
 * A raw generic netlink socket that lives in the monitor's process (monitor/child.ts): what is
 * sent here is sent there, what that socket receives is delivered here. NlSocket runs on top of it
 * unchanged (framing, sequence numbers, matching answers are all done in this process; only bytes
 * travel). For the agent's FEATURES_SETs: each waits for RTNL inside sendmsg(), and in a burst of
 * device creations that wait (~one creation per set) blocked the agent's event loop.
 * When the monitor process dies, requests on the way fail (their answers are lost with it).
 */
export class ChildRequestSocket extends EventEmitter implements RawSocketLike {
  /** The port id of the socket in the monitor process (informational: the kernel answers the socket). */
  port = 0;

  constructor(private readonly target: () => ChildProcess | null) {
    super();
  }

  send(
    msg: Uint8Array,
    _options: Record<string, never>,
    callback: (error?: { errno: number; syscall: string }) => void,
  ): void {
    const c = this.target();
    if (!c?.connected) {
      queueMicrotask(() => callback({ errno: EIO, syscall: 'send (monitor process not running)' }));
      return;
    }
    // with a callback a failed write (EPIPE: the process just died) comes here, not as an
    // 'error' event on the ChildProcess (unheard, that one would end the agent)
    c.send({ t: 'rq', b: msg } satisfies ChildRequest, (err) => {
      if (err)
        callback({
          errno: (err as NodeJS.ErrnoException).errno ? Math.abs((err as NodeJS.ErrnoException).errno!) : EIO,
          syscall: 'send to the monitor process',
        });
    });
  }

  /** A datagram the monitor process's socket received. */
  deliver(buf: Buffer): void {
    this.emit('message', buf);
  }

  /** The socket (or the process it lives in) failed: whatever is pending fails. */
  fail(errno: number, syscall: string): void {
    if (this.listenerCount('error') > 0) this.emit('error', { errno, syscall }); // (unheard 'error' throws)
  }

  address(): { port: number } {
    return { port: this.port };
  }
  // the monitor process keeps its own socket; this side holds nothing open
  ref(): void {}
  unref(): void {}
  close(): void {}
  addMembership(): void {
    throw new Error('a request socket joins no multicast group');
  }
}
