/**
 * The monitor's socket process. Why a child process: the `netlink` addon (0.3.0) aborts the whole
 * process when its socket reports POLLERR — libuv hands the poll callback UV_EBADF and the addon
 * builds an exception with a NULL syscall name (Napi::String::New(NULL) throws → std::terminate).
 * A netlink overrun sets sk_err = ENOBUFS (net/netlink/af_netlink.c netlink_overrun), which epoll
 * reports as EPOLLERR while unread messages remain. So an overrun can kill the reader; it must not
 * kill the agent. This child only reads datagrams and forwards them, raw, over IPC; the parent
 * decodes them. When the child dies, the parent starts a new one and resyncs (= an overrun).
 */
import { performance } from 'node:perf_hooks';
import { RawNetlinkSocket } from 'netlink';
import { NETLINK_GENERIC, NETLINK_ROUTE } from '../netlink/nlmsg.js';
import { RTNLGRP_LINK } from '../netlink/rtnl.js';

export interface ChildBatch {
  t: 'm';
  /** absolute receipt time, ms since the epoch (performance.timeOrigin + now) */
  at: number;
  rt: Uint8Array[];
  gn: Uint8Array[];
}
export type ChildMessage = ChildBatch | { t: 'ready' } | { t: 'overrun'; source: 'rtnetlink' | 'ethtool' } | { t: 'error'; message: string };

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
  let pending: ChildBatch | null = null;
  let pendingBytes = 0;
  const flush = () => {
    if (!pending) return;
    const bytes = pendingBytes;
    backlog += bytes;
    process.send?.(pending, undefined, undefined, () => {
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
      if (!pending) {
        pending = { t: 'm', at: performance.timeOrigin + performance.now(), rt: [], gn: [] };
        setImmediate(flush); // the addon reads up to 32 datagrams per wake-up: send them together
      }
      pending[key].push(buf);
      pendingBytes += buf.length;
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
  process.on('disconnect', () => process.exit(0));
  // the parent ends it with SIGTERM: exit normally (so e.g. --cpu-prof writes its profile)
  process.on('SIGTERM', () => process.exit(0));
  send({ t: 'ready' });
}
