/**
 * A small request/response layer over the `netlink` package's RawNetlinkSocket (which only moves
 * bytes). Framing, sequence numbers, dumps and errors are ours (nlmsg.ts), because the package's
 * higher layer drops NLMSG_DONE's errno, cannot ask for extended ACKs and aborts the process
 * from native code with ~125+ requests in flight (kernel-facts.md, pitfalls 2-4).
 */
import type { RawSocketLike } from './raw-socket.js';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { KernelError } from '../types.js';
import { kernelErrorFromErrno } from './errno.js';
import {
  encodeMessage,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  parseDone,
  parseError,
  parseMessages,
  type NlMessage,
} from './nlmsg.js';

// The raw layer only: importing the package index loads its rtnetlink/nl80211/wg code too (~27 ms).
// Loaded with require, not `import`: raw.js is CommonJS, and importing it from ESM goes through
// Node's CJS-to-ESM translation (cjs-module-lexer over the source, read twice): ~10 ms at start-up
// against ~4 ms for require (measured here, Node 20).
const { RawNetlinkSocket } = createRequire(import.meta.url)(
  'netlink/dist/raw.js',
) as typeof import('netlink/dist/raw.js');

/** At most this many requests on the wire per socket; more wait in a queue. */
export const MAX_IN_FLIGHT = 32;
/**
 * Receive buffers: the package's message peeking (its default). Per datagram the native layer does
 * recvmsg(MSG_PEEK|MSG_TRUNC) to learn the datagram's exact size, then reads it into a buffer of
 * exactly that size — so no message of any size is ever truncated, and a 36-byte ACK costs 36
 * bytes. The alternative, `messagePeeking: false` with a fixed `msgBufferSize`, allocates (and
 * zero-fills: `make_unique<char[]>`) that many bytes for every datagram, ACKs included: with 64 KiB
 * `apply` on 1000 interfaces peaked at 137 MiB RSS instead of 87, and its SETs took longer.
 *
 * What peeking changes on the kernel side: netlink_recvmsg records the largest buffer a reader
 * offered (max_recvmsg_len; a peek offers 1 byte, the real read exactly the datagram), and
 * netlink_dump sizes dump skbs after it, at least NLMSG_GOODSIZE (~3.7 KiB on 4 KiB pages). So
 * dumps arrive in ~3.7 KiB datagrams (several devices each with compact bitsets, ~160 B/device;
 * RTM_GETLINK dumps are sized by rtnetlink's min_dump_alloc, one link always fits; measured: 2001
 * devices decode completely, links ~3 per datagram, no slower than with 64 KiB), and a single
 * dump *message* larger than that (a verbose-bitset FEATURES_GET dump, ~4.2 KiB/device) makes the
 * kernel end the dump with EMSGSIZE in NLMSG_DONE — which `receive` reports as an error, never as a
 * short result (kernel-facts.md pitfall 2). Every dump here uses compact bitsets; non-dump replies
 * (e.g. a verbose FEATURES_GET of one device) are allocated by the kernel at their full size and
 * read whole.
 */
export const MESSAGE_PEEKING = true;

export interface RequestOptions {
  dump?: boolean;
  /** Extra nlmsg flags (NLM_F_REQUEST is always set; NLM_F_ACK for non-dumps). */
  flags?: number;
  /** What to name in errors, e.g. "FEATURES_GET eth0". */
  what?: string;
  ifname?: string;
  timeoutMs?: number;
  /**
   * Send without NLM_F_ACK (not for dumps): the kernel then answers only a failure
   * (netlink_rcv_skb acks when NLM_F_ACK is set *or* the handler failed). The last message of each
   * datagram carries NLM_F_ACK anyway, and the messages of one datagram are handled in order, in
   * the sender's sendmsg(), and answered in that order: its ACK completes the ackless requests
   * before it in the same datagram. So a batch of ackless requests ends with one ACK, not one per request
   * (apply's 1000 FEATURES_SETs with OMIT_REPLY: ~30 datagrams to receive instead of 1000).
   * Resolves with no messages: use it for requests whose success says nothing.
   */
  ackless?: boolean;
}

export interface DumpResult {
  messages: NlMessage[];
  /** NLM_F_DUMP_INTR was seen: the object set changed during the dump; retry. */
  interrupted: boolean;
}

interface Pending {
  seq: number;
  dump: boolean;
  messages: NlMessage[];
  interrupted: boolean;
  what: string;
  ifname?: string;
  resolve: (r: DumpResult) => void;
  reject: (e: Error) => void;
  /** performance.now() after which the request fails with a timeout */
  deadline: number;
  timeoutMs: number;
  /** Sent without NLM_F_ACK (RequestOptions.ackless). */
  ackless: boolean;
  /** Position in send order on this socket. */
  order: number;
  /** Which datagram carried it (one per pump). */
  batch: number;
  /** A requestMany datagram: this pending is its last (acked) message; the others fail by seq. */
  many?: ManyState;
}

/** The messages of one requestMany datagram. */
interface ManyState {
  seqs: Uint32Array;
  errors: (KernelError | null)[];
  describe: (index: number) => { what: string; ifname?: string };
}

interface Queued {
  type: number;
  payload: Buffer[];
  opts: RequestOptions;
  pending: Pending;
  /** requestMany: payload[0] holds whole messages starting at these offsets. */
  offsets?: readonly number[];
}

export type { RawSocketLike } from './raw-socket.js';

export class NlSocket {
  private readonly raw: RawSocketLike;
  private seq = Math.floor(Math.random() * 0x7fff0000) + 1;
  private readonly pending = new Map<number, Pending>();
  /** Ackless requests on the wire by datagram, in send order (finished ones are skipped when met). */
  private readonly ackless = new Map<number, Pending[]>();
  /** requestMany datagrams on the wire. */
  private readonly inMany: Pending[] = [];
  private sent = 0;
  private batches = 0;
  private readonly queue: Queued[] = [];
  private closed = false;
  private dumpInFlight = false;
  private pumpScheduled = false;
  private pumpQueued = false;
  /** One timer for all requests' deadlines (a timer per request cost more than its request). */
  private timer: NodeJS.Timeout | null = null;
  private timerDue = Infinity;
  private readonly port: number;
  /** Messages that answer no request (multicast notifications); for monitors. */
  onNotification: ((msg: NlMessage) => void) | null = null;
  /** Sees every datagram sent and received (fixture capture, debugging). */
  tap: ((dir: 'out' | 'in', datagram: Buffer) => void) | null = null;

  /**
   * `opts.readBuffer`: read every datagram into a buffer of this many bytes instead of peeking at
   * its size first (MESSAGE_PEEKING). For a socket that mostly reads dumps: the kernel then fills
   * dump datagrams up to that size (netlink_dump sizes them after the reader's largest buffer,
   * max_recvmsg_len, at most 32 KiB), so an RTM_GETLINK dump of 5000 links comes in ~200
   * datagrams, one recvmsg each, instead of ~1700 of ~3.7 KiB with two each (~35 ms of system
   * and JS time at 5000 links). Not for sockets that receive many small answers (each costs a
   * buffer of that size; see MESSAGE_PEEKING).
   */
  constructor(protocol: number, raw?: RawSocketLike, opts: { readBuffer?: number } = {}) {
    try {
      this.raw =
        raw ??
        (new RawNetlinkSocket(protocol, {
          messagePeeking: opts.readBuffer ? false : MESSAGE_PEEKING,
          ...(opts.readBuffer ? { msgBufferSize: opts.readBuffer } : {}),
          recvBufferSize: 1 << 20,
          sendBufferSize: 0,
        }) as unknown as RawSocketLike);
    } catch (e) {
      const errno = (e as { errno?: number }).errno;
      if (typeof errno === 'number') throw kernelErrorFromErrno(errno, 'netlink socket');
      throw new KernelError('io', `netlink socket: ${(e as Error).message}`);
    }
    this.port = this.raw.address().port;
    this.raw.unref();
    this.raw.on('message', (buf) => this.receive(buf));
    this.raw.on('truncatedMessage', () =>
      this.failAll(new KernelError('io', 'netlink message truncated (receive buffer too small)')),
    );
    this.raw.on('error', (err) => this.failAll(kernelErrorFromErrno(err.errno, `netlink ${err.syscall}`)));
  }

  addMembership(group: number): void {
    this.raw.addMembership(group);
  }

  /** Keep the process alive while listening for notifications (monitor). */
  ref(): void {
    this.raw.ref();
  }

  unref(): void {
    this.raw.unref();
  }

  /**
   * Send a request and collect the reply messages (without the final ACK/DONE).
   * Non-dump requests carry NLM_F_ACK, so completion is the ACK (or an error).
   */
  request(type: number, payload: Buffer[], opts: RequestOptions = {}): Promise<DumpResult> {
    if (this.closed) return Promise.reject(new KernelError('io', 'netlink socket closed'));
    return new Promise<DumpResult>((resolve, reject) => {
      const pending: Pending = {
        seq: 0,
        dump: !!opts.dump,
        messages: [],
        interrupted: false,
        what: opts.what ?? `netlink request ${type}`,
        ifname: opts.ifname,
        resolve,
        reject,
        deadline: 0,
        timeoutMs: opts.timeoutMs ?? 10_000,
        ackless: !!opts.ackless && !opts.dump,
        order: 0,
        batch: 0,
      };
      this.queue.push({ type, payload, opts, pending });
      // requests made in one synchronous run (a burst's SETs) go out together, as one datagram
      if (!this.pumpQueued) {
        this.pumpQueued = true;
        queueMicrotask(() => {
          this.pumpQueued = false;
          this.pump();
        });
      }
    });
  }

  /**
   * Many requests that need no answer but failures (FEATURES_SET with OMIT_REPLY), already encoded
   * back to back in `datagram` as whole netlink messages starting at `offsets` (type, length and
   * payload set; flags, sequence number and port are filled in here). They go out as ONE datagram,
   * alone on the wire, every message but the last without NLM_F_ACK (see RequestOptions.ackless):
   * the kernel handles them in order in the sendmsg() and answers each failure, then the last
   * message's ACK or error. One Promise, one pending entry and no Buffer per request: apply's
   * 1000 SETs cost the kernel ~10 µs each, and per-request bookkeeping here cost more than that.
   * Resolves with one entry per message: null (done) or its KernelError (`describe` names it).
   */
  requestMany(
    type: number,
    datagram: Buffer,
    offsets: readonly number[],
    describe: (index: number) => { what: string; ifname?: string },
    timeoutMs = 10_000,
  ): Promise<(KernelError | null)[]> {
    if (offsets.length === 0) return Promise.resolve([]);
    if (this.closed) return Promise.reject(new KernelError('io', 'netlink socket closed'));
    return new Promise<(KernelError | null)[]>((resolve, reject) => {
      const many: ManyState = {
        seqs: new Uint32Array(offsets.length),
        errors: new Array(offsets.length).fill(null),
        describe,
      };
      const pending: Pending = {
        seq: 0,
        dump: false,
        messages: [],
        interrupted: false,
        what: describe(offsets.length - 1).what,
        resolve: () => resolve(many.errors),
        reject,
        deadline: 0,
        timeoutMs,
        ackless: false,
        order: 0,
        batch: 0,
        many,
      };
      this.queue.push({ type, payload: [datagram], opts: {}, pending, offsets });
      if (!this.pumpQueued) {
        this.pumpQueued = true;
        queueMicrotask(() => {
          this.pumpQueued = false;
          this.pump();
        });
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const err = new KernelError('io', 'netlink socket closed');
    for (const q of this.queue.splice(0)) q.pending.reject(err);
    this.ackless.clear();
    this.failAll(err);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.raw.close();
  }

  /**
   * Put queued requests on the wire, up to MAX_IN_FLIGHT. Everything sent in one call goes out as
   * ONE datagram (netlink_rcv_skb handles every message of an skb in turn and answers each on its
   * own, by sequence number): one sendmsg and one native completion instead of one per request.
   * A dump still goes alone.
   */
  private pump(): void {
    const head = this.queue[0];
    if (head?.offsets) {
      // a requestMany datagram goes alone, when the wire is free
      if (this.closed || this.dumpInFlight || this.pending.size > 0) return;
      this.queue.shift();
      this.sendMany(head);
      if (this.queue.length) this.schedulePump();
      return;
    }
    let batch: Buffer[] | null = null;
    let batched: Pending[] | null = null;
    const taken: Queued[] = [];
    while (!this.closed && this.pending.size + taken.length < MAX_IN_FLIGHT && this.queue.length > 0) {
      if (this.queue[0]!.offsets) break; // a requestMany datagram waits for a free wire
      // One dump at a time per socket, alone on the wire: netlink_dump_start answers EBUSY to a
      // second dump while one is in progress (nlk->cb_running).
      if (this.dumpInFlight || taken.some((q) => q.opts.dump)) break;
      if (this.queue[0]!.opts.dump && this.pending.size + taken.length > 0) break;
      taken.push(this.queue.shift()!);
    }
    // The datagram's last message is always acked: it completes the ackless ones before it.
    if (taken.length) taken[taken.length - 1]!.pending.ackless = false;
    const batchNo = ++this.batches;
    for (const q of taken) {
      const seq = this.nextSeq();
      q.pending.seq = seq;
      q.pending.order = ++this.sent;
      q.pending.batch = batchNo;
      const ack = q.pending.ackless ? 0 : NLM_F_ACK;
      const flags = NLM_F_REQUEST | (q.opts.dump ? NLM_F_DUMP : ack) | (q.opts.flags ?? 0);
      const msg = encodeMessage(q.type, flags, seq, this.port, q.payload);
      if (q.pending.ackless) {
        const list = this.ackless.get(batchNo);
        if (list) list.push(q.pending);
        else this.ackless.set(batchNo, [q.pending]);
      }
      this.tap?.('out', msg);
      if (q.opts.dump) this.dumpInFlight = true;
      this.pending.set(seq, q.pending);
      if (this.pending.size === 1) this.raw.ref();
      const p = q.pending;
      p.deadline = performance.now() + p.timeoutMs;
      if (p.deadline < this.timerDue) this.armTimer(p.timeoutMs);
      (batch ??= []).push(msg);
      (batched ??= []).push(p);
    }
    if (!batch || !batched) return;
    const sent = batched;
    this.raw.send(batch.length === 1 ? batch[0]! : Buffer.concat(batch), {}, (err) => {
      if (!err) return;
      for (const p of sent) {
        if (this.pending.get(p.seq) !== p) continue;
        this.finish(p);
        p.reject(kernelErrorFromErrno(err.errno, `${p.what} (send)`, { ifname: p.ifname }));
      }
    });
  }

  /** Number, flag and send a requestMany datagram (its pending is its last message). */
  private sendMany(q: Queued): void {
    const buf = q.payload[0]!;
    const offsets = q.offsets!;
    const p = q.pending;
    const many = p.many!;
    const last = offsets.length - 1;
    for (let i = 0; i <= last; i++) {
      const seq = this.nextSeq();
      many.seqs[i] = seq;
      const o = offsets[i]!;
      buf.writeUInt16LE(NLM_F_REQUEST | (i === last ? NLM_F_ACK : 0), o + 6);
      buf.writeUInt32LE(seq, o + 8);
      buf.writeUInt32LE(this.port >>> 0, o + 12);
    }
    p.seq = many.seqs[last]!;
    p.order = this.sent += offsets.length;
    p.batch = ++this.batches;
    this.tap?.('out', buf);
    this.pending.set(p.seq, p);
    this.inMany.push(p);
    if (this.pending.size === 1) this.raw.ref();
    p.deadline = performance.now() + p.timeoutMs;
    if (p.deadline < this.timerDue) this.armTimer(p.timeoutMs);
    this.raw.send(buf, {}, (err) => {
      if (!err || this.pending.get(p.seq) !== p) return;
      this.finish(p);
      p.reject(kernelErrorFromErrno(err.errno, `${p.what} (send)`));
    });
  }

  /** Record a failure answer for the requestMany message with its sequence number; false: none has it. */
  private manyFailure(m: NlMessage): boolean {
    for (const p of this.inMany) {
      const many = p.many!;
      // numbered consecutively (nextSeq skips 0 when it wraps): try the direct index first
      let i = (m.seq - many.seqs[0]!) >>> 0;
      if (i >= many.seqs.length || many.seqs[i] !== m.seq) i = many.seqs.indexOf(m.seq);
      if (i < 0) continue;
      const e = parseError(m);
      if (e.errno !== 0) {
        const d = many.describe(i);
        many.errors[i] = kernelErrorFromErrno(e.errno, d.what, { extack: e.extack, ifname: d.ifname });
      }
      return true;
    }
    return false;
  }

  /**
   * Refill the wire after answers arrived, once per event-loop turn rather than once per answer:
   * the native layer reads up to 32 datagrams per wake-up, and their slots go out as one datagram.
   */
  private schedulePump(): void {
    if (this.pumpScheduled || this.queue.length === 0) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private armTimer(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = performance.now() + ms;
    this.timer = setTimeout(() => this.expire(), Math.max(1, Math.ceil(ms)));
    this.timer.unref();
  }

  /** Fail the requests past their deadline; wait for the next one. */
  private expire(): void {
    this.timer = null;
    this.timerDue = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const p of [...this.pending.values()]) {
      if (p.deadline <= now) {
        this.finish(p);
        // its datagram's ackless requests can no longer be settled by its ACK (they expire too)
        if (!p.ackless) this.ackless.delete(p.batch);
        p.reject(new KernelError('io', `${p.what}: no answer from the kernel within ${p.timeoutMs} ms`));
      } else next = Math.min(next, p.deadline);
    }
    if (next !== Infinity && !this.closed) this.armTimer(next - now);
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    if (this.seq === 0) this.seq = 1;
    return this.seq;
  }

  /**
   * p, acked, was answered: every ackless request before it in its datagram succeeded (a failure
   * would have been answered first).
   */
  private settleAckless(p: Pending): void {
    const list = this.ackless.get(p.batch);
    if (!list) return;
    this.ackless.delete(p.batch);
    for (const a of list) {
      if (a.order > p.order || this.pending.get(a.seq) !== a) continue; // failed or timed out already
      this.finish(a);
      a.resolve({ messages: a.messages, interrupted: a.interrupted });
    }
  }

  private finish(p: Pending): void {
    if (!this.pending.delete(p.seq)) return;
    if (p.many) this.inMany.splice(this.inMany.indexOf(p), 1);
    if (p.dump) this.dumpInFlight = false;
    if (this.pending.size === 0 && !this.closed) this.raw.unref();
    this.schedulePump();
  }

  private failAll(e: Error): void {
    for (const p of [...this.pending.values()]) {
      this.finish(p);
      p.reject(e);
    }
  }

  private receive(buf: Buffer): void {
    this.tap?.('in', buf);
    let msgs: NlMessage[];
    try {
      msgs = parseMessages(buf);
    } catch (e) {
      this.failAll(new KernelError('io', `bad netlink message from the kernel: ${(e as Error).message}`));
      return;
    }
    for (const m of msgs) {
      const p = m.seq !== 0 ? this.pending.get(m.seq) : undefined;
      if (!p && m.type === NLMSG_ERROR && this.inMany.length > 0 && this.manyFailure(m)) continue;
      if (p?.many) {
        // the last message of a requestMany datagram: its ACK (or error) ends the datagram
        if (m.type !== NLMSG_ERROR) continue;
        this.manyFailure(m);
        this.finish(p);
        p.resolve({ messages: [], interrupted: false });
        continue;
      }
      if (!p) {
        if (m.type !== NLMSG_ERROR && m.type !== NLMSG_DONE && m.type !== NLMSG_NOOP) this.onNotification?.(m);
        continue;
      }
      if (m.flags & NLM_F_DUMP_INTR) p.interrupted = true;
      if (m.type === NLMSG_NOOP || m.type === NLMSG_OVERRUN) continue;
      if (m.type === NLMSG_ERROR) {
        const e = parseError(m);
        if (!p.ackless) this.settleAckless(p);
        this.finish(p);
        if (e.errno === 0) p.resolve({ messages: p.messages, interrupted: p.interrupted });
        else p.reject(kernelErrorFromErrno(e.errno, p.what, { extack: e.extack, ifname: p.ifname }));
        continue;
      }
      if (m.type === NLMSG_DONE) {
        // A dump that fails midway (e.g. EMSGSIZE) says so only here.
        const d = parseDone(m);
        this.settleAckless(p);
        this.finish(p);
        if (d.errno === 0) p.resolve({ messages: p.messages, interrupted: p.interrupted });
        else p.reject(kernelErrorFromErrno(d.errno, p.what, { extack: d.extack, ifname: p.ifname }));
        continue;
      }
      p.messages.push(m);
    }
  }
}
