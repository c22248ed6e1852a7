/**
 * The monitor's socket process. Why a child process: the `netlink` addon (0.3.0) aborts the whole
 * process when its socket reports POLLERR — libuv hands the poll callback UV_EBADF and the addon
 * builds an exception with a NULL syscall name (Napi::String::New(NULL) throws → std::terminate).
 * A netlink overrun sets sk_err = ENOBUFS (net/netlink/af_netlink.c netlink_overrun), which epoll
 * reports as EPOLLERR while unread messages remain. So an overrun can kill the reader; it must not
 * kill the agent. This child only reads datagrams and forwards them, raw, over IPC; the parent
 * decodes them. When the child dies, the parent starts a new one and resyncs (= an overrun).
 *
 * It also sends the parent's requests on a generic netlink socket of its own and forwards the
 * answers (monitor/request-socket.ts): a FEATURES_SET runs inside sendmsg() and waits there for
 * RTNL (ethnl_set_features → rtnl_lock), which a burst of device creations holds most of the time;
 * here that wait blocks this process, not the agent.
 */
import { performance } from 'node:perf_hooks';
import { RawNetlinkSocket } from 'netlink';
import { NETLINK_GENERIC, NETLINK_ROUTE } from '../netlink/nlmsg.js';
import { RTNLGRP_LINK } from '../netlink/rtnl.js';

/**
 * The datagrams one wake-up read, per socket, each socket's concatenated (each datagram padded
 * to 4 bytes, so the messages parse as one run): one buffer per socket and batch costs the IPC
 * (de)serialisation far less than one per datagram. null: none from that socket.
 */
export interface ChildBatch {
  t: 'm';
  /** absolute receipt time, ms since the epoch (performance.timeOrigin + now) */
  at: number;
  rt: Uint8Array | null;
  gn: Uint8Array | null;
  /** The request socket's (answers to the parent's requests). */
  rq: Uint8Array | null;
}
export type ChildMessage =
  | ChildBatch
  | { t: 'ready' /** the request socket's port id */; rqPort: number }
  | { t: 'overrun'; source: 'rtnetlink' | 'ethtool' }
  | { t: 'error'; message: string }
  | { t: 'rqerror'; errno: number; syscall: string };
/** Parent → child: netlink request messages to send (one datagram of one or more messages). */
export interface ChildRequest {
  t: 'rq';
  b: Uint8Array;
}

const PAD = [0, 1, 2, 3].map((n) => Buffer.alloc(n));

export function runMonitorChild(): void {
  const send = (m: ChildMessage) => process.send?.(m);
  const rcvbuf = Number(process.env.OFFLOADCTL_MONITOR_CHILD_RCVBUF) || 4 << 20;
  const genlGroup = Number(process.env.OFFLOADCTL_MONITOR_CHILD_GENL_GROUP) || 0;
  // Flow control: bytes handed to the IPC channel and not yet written to the parent. When the
  // parent falls behind, the child drops datagrams and reports an overrun, as the kernel would
  // with a full socket buffer: memory stays bounded and the parent resyncs.
  const maxBacklog = Number(process.env.OFFLOADCTL_MONITOR_CHILD_BACKLOG) || rcvbuf;
  let backlog = 0;
  let dropping: 'rtnetlink' | 'ethtool' | null = null;
  let pending: { at: number; rt: Buffer[]; gn: Buffer[]; rq: Buffer[] } | null = null;
  let pendingBytes = 0;
  const add = (key: 'rt' | 'gn' | 'rq', buf: Buffer) => {
    if (!pending) {
      pending = { at: performance.timeOrigin + performance.now(), rt: [], gn: [], rq: [] };
      setImmediate(flush); // the addon reads up to 32 datagrams per wake-up: send them together
    }
    pending[key].push(buf);
    if (buf.length & 3) pending[key].push(PAD[4 - (buf.length & 3)]!);
    pendingBytes += buf.length;
  };
  const flush = () => {
    if (!pending) return;
    const bytes = pendingBytes;
    backlog += bytes;
    const join = (bufs: Buffer[]) => (bufs.length === 0 ? null : bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs));
    const batch: ChildBatch = {
      t: 'm',
      at: pending.at,
      rt: join(pending.rt),
      gn: join(pending.gn),
      rq: join(pending.rq),
    };
    process.send?.(batch, undefined, undefined, () => {
      backlog -= bytes;
      if (dropping && backlog <= maxBacklog / 2) {
        // caught up: report the loss even if no further datagram comes
        send({ t: 'overrun', source: dropping });
        dropping = null;
      }
    });
    pending = null;
    pendingBytes = 0;
  };
  const open = (protocol: number, source: 'rtnetlink' | 'ethtool', key: 'rt' | 'gn', group: number) => {
    // Peeking sizes each buffer to its datagram; without it every datagram pins a 64 KiB buffer
    // that V8 does not count (external memory), which grows RSS by hundreds of MiB in a burst.
    const raw = new RawNetlinkSocket(protocol, { messagePeeking: true, recvBufferSize: rcvbuf, sendBufferSize: 0 });
    raw.on('message', (buf: Buffer) => {
      if (backlog + pendingBytes > maxBacklog) {
        dropping ??= source;
        return;
      }
      if (dropping) {
        // the parent caught up: tell it what was lost, in order, before anything newer
        send({ t: 'overrun', source: dropping });
        dropping = null;
      }
      add(key, buf);
    });
    raw.on('truncatedMessage', () => send({ t: 'overrun', source }));
    raw.on('error', (err) => {
      if (err.code === 'ENOBUFS') send({ t: 'overrun', source });
      else send({ t: 'error', message: `${source} monitor: ${err.code} (${err.syscall})` });
    });
    raw.addMembership(group);
  };
  open(NETLINK_ROUTE, 'rtnetlink', 'rt', RTNLGRP_LINK);
  if (genlGroup) open(NETLINK_GENERIC, 'ethtool', 'gn', genlGroup);
  const rq = requestSocket(add, send);
  process.on('disconnect', () => process.exit(0));
  // the parent ends it with SIGTERM: exit normally (so e.g. --cpu-prof writes its profile)
  process.on('SIGTERM', () => process.exit(0));
  send({ t: 'ready', rqPort: rq.address().port });
}

/**
 * The request socket: each of the parent's datagrams is sent as it comes, whole. The kernel runs
 * its messages one after the other inside the one sendmsg() (netlink_rcv_skb), so a burst's SETs
 * take RTNL back to back instead of once per turn of the event loop, each time after the process
 * creating devices. Answers are never dropped: the parent has at most MAX_IN_FLIGHT requests out.
 */
function requestSocket(add: (key: 'rq', buf: Buffer) => void, send: (m: ChildMessage) => void): RawNetlinkSocket {
  const rq = new RawNetlinkSocket(NETLINK_GENERIC, {
    messagePeeking: true,
    recvBufferSize: 1 << 20,
    sendBufferSize: 0,
  });
  rq.on('message', (buf: Buffer) => add('rq', buf));
  rq.on('error', (err) => send({ t: 'rqerror', errno: err.errno ?? 5, syscall: err.syscall ?? 'recvmsg' }));
  process.on('message', (m: ChildRequest) => {
    if (m?.t !== 'rq') return;
    rq.send(Buffer.from(m.b.buffer, m.b.byteOffset, m.b.byteLength), {}, (err?: { errno?: number }) => {
      if (err) send({ t: 'rqerror', errno: err.errno ?? 5, syscall: 'sendmsg' });
    });
  });
  return rq;
}
