/**
 * Kernel event subscription for the agent: rtnetlink RTNLGRP_LINK (RTM_NEWLINK / RTM_DELLINK) and
 * the ethtool generic netlink "monitor" multicast group (ETHTOOL_MSG_FEATURES_NTF, compact bitsets:
 * net/ethtool/netlink.c ethnl_default_notify always sets ETHTOOL_FLAG_COMPACT_BITSETS).
 * Notifications are per network namespace: the monitor sees the namespace of the process.
 *
 * Overrun: when the reader falls behind, the kernel drops multicast messages and the next
 * recvmsg() fails with ENOBUFS (net/netlink/af_netlink.c netlink_overrun). Nothing tells which
 * events were lost, so the monitor emits `overrun` and the subscriber resyncs with a full dump.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { RawNetlinkSocket } from 'netlink';
import { KernelError } from '../types.js';
import { NlSocket } from '../netlink/socket.js';
import { parseGenl } from '../netlink/genl.js';
import { resolveEthtoolFamily, type EthtoolFamily } from '../netlink/ethtool-family.js';
import {
  decodeFeaturesCompact,
  decodeFeaturesReply,
  decodeReplyHeader,
  ETHTOOL_A_FEATURES_HEADER,
  type FeatureLayout,
  ETHTOOL_MSG_FEATURES_NTF,
  featuresToMap,
} from '../netlink/ethtool-msg.js';
import { NETLINK_GENERIC, NETLINK_ROUTE, parseMessages, type NlMessage } from '../netlink/nlmsg.js';
import {
  decodeIfinfomsg,
  decodeLink,
  IFINFOMSG_LEN,
  IFLA_EVENT_FEATURES,
  IFLA_IFNAME,
  linkEvent,
  RTM_DELLINK,
  RTM_NEWLINK,
  RTNLGRP_LINK,
} from '../netlink/rtnl.js';
import type { LinkInfo } from '../../model/types.js';
import { attrMap, readStr } from '../netlink/attrs.js';
import type { KernelMonitor, MonitorEvent, MonitorOptions } from './types.js';
import type { ChildMessage } from './child.js';
import { ChildRequestSocket } from './request-socket.js';
import type { RawSocketLike } from '../netlink/socket.js';

export type { KernelMonitor, MonitorEvent, MonitorOptions } from './types.js';

/** 4 MiB: a burst of ~10k link events (≈1.2 KiB each without stats) fits; capped by net.core.rmem_max. */
export const DEFAULT_MONITOR_RCVBUF = 4 << 20;

function rcvbufFromEnv(): number | undefined {
  const v = process.env.OFFLOADCTL_MONITOR_RCVBUF;
  if (!v) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Resolve the ethtool family, its monitor group and the feature names (short-lived request socket). */
export async function resolveEthtool(): Promise<EthtoolFamily> {
  const s = new NlSocket(NETLINK_GENERIC);
  try {
    const family = await resolveEthtoolFamily(s);
    if (family.monitorGroup === null)
      throw new KernelError('not-supported', 'ethtool netlink has no "monitor" multicast group');
    return family;
  } finally {
    s.close();
  }
}

/** Decodes datagrams into events; the transports below feed it. */
abstract class DecodingMonitor implements KernelMonitor {
  protected handler: (e: MonitorEvent) => void = () => {};
  protected errorHandler: (e: Error) => void = () => {};
  protected closed = false;
  private layout: FeatureLayout | null = null;
  /** The link as last decoded, by ifindex (see onRoute). */
  private readonly lastLink = new Map<number, LinkInfo>();

  constructor(protected readonly ethtool: EthtoolFamily | null) {}

  /**
   * Handlers run inside the netlink addon's native callback, where a thrown exception aborts the
   * process (Napi::Error, uncatchable): report it as a monitor error instead.
   */
  protected emit(e: MonitorEvent): void {
    if (this.closed) return;
    if (e.type === 'overrun') this.lastLink.clear(); // a lost RTM_DELLINK must not keep its entry
    try {
      this.handler(e);
    } catch (err) {
      this.fail(err);
    }
  }

  protected fail(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    setImmediate(() => this.errorHandler(e));
  }

  protected datagram(buf: Buffer, source: 'rtnetlink' | 'ethtool', at: number): void {
    let msgs: NlMessage[];
    try {
      msgs = parseMessages(buf);
    } catch {
      return; // a malformed datagram: nothing to learn from it; the next resync covers it
    }
    for (const m of msgs) {
      if (m.pid !== 0) continue;
      if (source === 'rtnetlink') this.onRoute(m, at);
      else this.onGenl(m, at);
    }
  }

  private onRoute(m: NlMessage, at: number): void {
    let e: MonitorEvent | null = null;
    try {
      if (m.type === RTM_NEWLINK) {
        // Every feature change is followed by an RTM_NEWLINK with IFLA_EVENT_FEATURES
        // (rtnetlink_event for NETDEV_FEAT_CHANGE): one per FEATURES_SET, so one per new tap in a
        // burst. It repeats the link: a change of name, master, flags, MTU or state has a
        // notification of its own. So the link as last decoded is emitted again, undecoded.
        const last = m.payload.length >= IFINFOMSG_LEN ? this.lastLink.get(m.payload.readInt32LE(4)) : undefined;
        const link = last && linkEvent(m.payload) === IFLA_EVENT_FEATURES ? last : decodeLink(m.payload);
        this.lastLink.set(link.ifindex, link);
        e = { type: 'link-new', link, at };
      } else if (m.type === RTM_DELLINK) {
        const ifi = decodeIfinfomsg(m.payload);
        const name = readStr(attrMap(m.payload.subarray(IFINFOMSG_LEN)).get(IFLA_IFNAME)) ?? '';
        this.lastLink.delete(ifi.ifindex);
        e = { type: 'link-del', ifindex: ifi.ifindex, name, at };
      }
    } catch {
      /* undecodable message: skip */
    }
    if (e) this.emit(e);
  }

  private onGenl(m: NlMessage, at: number): void {
    if (!this.ethtool || m.type !== this.ethtool.id) return;
    let e: MonitorEvent | null = null;
    try {
      const g = parseGenl(m.payload);
      if (g.cmd !== ETHTOOL_MSG_FEATURES_NTF) return;
      // compact bitsets (always, for notifications): the dump's decoder, with its per-kind cache
      this.layout ??= this.ethtool.layout();
      // interned: the same state (our own change on every tap of a burst) is one frozen object
      const fast = decodeFeaturesCompact(m.payload, this.layout, { name: true, interned: true });
      if (fast) {
        if (fast.ifindex === null) return;
        const name = fast.ifname ?? decodeReplyHeader(attrMap(g.attrs).get(ETHTOOL_A_FEATURES_HEADER)).ifname ?? '';
        e = { type: 'features', ifindex: fast.ifindex, name, features: fast.features, at };
      } else {
        const r = decodeFeaturesReply(m.payload);
        if (r.header.ifindex === null) return;
        e = {
          type: 'features',
          ifindex: r.header.ifindex,
          name: r.header.ifname ?? '',
          features: featuresToMap(r, this.ethtool.names as string[]),
          at,
        };
      }
    } catch {
      /* skip */
    }
    if (e) this.emit(e);
  }

  onEvent(handler: (e: MonitorEvent) => void): void {
    this.handler = handler;
  }
  onError(handler: (e: Error) => void): void {
    this.errorHandler = handler;
  }
  abstract close(): void;
}

/**
 * Sockets in this process. With the prebuilt `netlink` addon an overrun aborts the process
 * (monitor/child.ts); the patched build (netlink/addon.ts) reports it as ENOBUFS and goes on.
 */
class InProcessMonitor extends DecodingMonitor {
  readonly placement = 'inline';
  private readonly sockets: RawNetlinkSocket[] = [];

  constructor(rcvbuf: number, ethtool: EthtoolFamily | null) {
    super(ethtool);
    const open = (protocol: number, source: 'rtnetlink' | 'ethtool', group: number) => {
      // peeking: buffers sized to each datagram (see monitor/child.ts)
      const raw = new RawNetlinkSocket(protocol, { messagePeeking: true, recvBufferSize: rcvbuf, sendBufferSize: 0 });
      raw.on('message', (buf: Buffer) => this.datagram(buf, source, performance.now()));
      raw.on('truncatedMessage', () => this.emit({ type: 'overrun', source, at: performance.now() }));
      raw.on('error', (err) => {
        if (this.closed) return;
        if (err.code === 'ENOBUFS') this.emit({ type: 'overrun', source, at: performance.now() });
        else this.fail(new KernelError('io', `${source} monitor: ${err.code} (${err.syscall})`, { errno: err.errno }));
      });
      raw.addMembership(group);
      this.sockets.push(raw);
    };
    open(NETLINK_ROUTE, 'rtnetlink', RTNLGRP_LINK);
    if (ethtool) open(NETLINK_GENERIC, 'ethtool', ethtool.monitorGroup!);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sockets) s.close();
  }
}

/**
 * Sockets in a child process (the agent): datagrams arrive over IPC and are decoded here. When the
 * child dies (the addon aborts on POLLERR after an overrun), a new one is started and an `overrun`
 * is emitted once it listens, so the subscriber resyncs. More than `maxRestarts` in a minute is fatal.
 */
class ChildMonitor extends DecodingMonitor {
  readonly placement = 'child';
  private child: ChildProcess | null = null;
  private readonly requests = new ChildRequestSocket(() => (this.closed ? null : this.child));
  private restarts: number[] = [];
  private lastExit = '';
  private firstReady: Promise<void>;
  private resolveFirst: (() => void) | null = null;
  private rejectFirst: ((e: Error) => void) | null = null;

  constructor(
    private readonly argv: string[],
    private readonly rcvbuf: number,
    ethtool: EthtoolFamily | null,
    private readonly maxRestarts = 10,
  ) {
    super(ethtool);
    this.firstReady = new Promise((res, rej) => {
      this.resolveFirst = res;
      this.rejectFirst = rej;
    });
    this.spawn(false);
  }

  ready(): Promise<void> {
    return this.firstReady;
  }

  private spawn(isRestart: boolean): void {
    const child = fork(this.argv[0]!, this.argv.slice(1), {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: {
        ...process.env,
        OFFLOADCTL_MONITOR_CHILD_RCVBUF: String(this.rcvbuf),
        OFFLOADCTL_MONITOR_CHILD_GENL_GROUP: String(this.ethtool?.monitorGroup ?? 0),
      },
    });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-500);
    });
    const origin = performance.timeOrigin;
    child.on('message', (m: ChildMessage) => {
      switch (m.t) {
        case 'm': {
          const at = m.at - origin;
          if (m.rt) this.datagram(Buffer.from(m.rt.buffer, m.rt.byteOffset, m.rt.byteLength), 'rtnetlink', at);
          if (m.gn) this.datagram(Buffer.from(m.gn.buffer, m.gn.byteOffset, m.gn.byteLength), 'ethtool', at);
          if (m.rq) this.requests.deliver(Buffer.from(m.rq.buffer, m.rq.byteOffset, m.rq.byteLength));
          break;
        }
        case 'rqerror':
          this.requests.fail(m.errno, m.syscall);
          break;
        case 'ready':
          this.requests.port = m.rqPort;
          if (isRestart)
            this.emit({ type: 'overrun', source: 'rtnetlink', at: performance.now(), detail: this.lastExit });
          this.resolveFirst?.();
          this.resolveFirst = this.rejectFirst = null;
          break;
        case 'overrun':
          this.emit({ type: 'overrun', source: m.source, at: performance.now() });
          break;
        case 'error':
          this.fail(new KernelError('io', m.message));
          break;
      }
    });
    child.on('exit', (code, signal) => {
      if (this.closed || this.child !== child) return;
      const why = `monitor process exited (${signal ?? code})${stderr.trim() ? `: ${stderr.trim().split('\n').join(' / ')}` : ''}`;
      this.lastExit = why;
      this.requests.fail(5 /* EIO */, 'monitor process exited');
      if (this.rejectFirst) {
        this.rejectFirst(new KernelError('io', why));
        this.resolveFirst = this.rejectFirst = null;
        return;
      }
      const now = Date.now();
      this.restarts = this.restarts.filter((t) => now - t < 60_000);
      this.restarts.push(now);
      if (this.restarts.length > this.maxRestarts) {
        this.fail(new KernelError('io', `${why}; restarted ${this.maxRestarts} times within a minute`));
        return;
      }
      // lost events are recovered by the resync that follows the new child's `ready`
      setTimeout(() => !this.closed && this.spawn(true), 50);
    });
  }

  /** A netlink request socket in the monitor process (monitor/request-socket.ts). */
  requestSocket(): RawSocketLike {
    return this.requests;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.child && this.child.exitCode === null) this.child.kill('SIGTERM');
    this.child = null;
  }
}

/**
 * Subscribe to link and feature events of the current network namespace. Without ethtool netlink
 * (old kernels) only link events arrive; feature drift is then found by the periodic resync.
 * The receive buffer size comes from opts, else $OFFLOADCTL_MONITOR_RCVBUF (tests shrink it to
 * provoke ENOBUFS), else 4 MiB. With `childArgv` the sockets live in a child process started with
 * that argv (which must call runMonitorChild()), so an overrun cannot abort the caller.
 */
export async function openMonitor(
  opts: MonitorOptions & { childArgv?: string[] } = {},
): Promise<KernelMonitor & { featureMonitoring: boolean }> {
  let ethtool: EthtoolFamily | null = null;
  try {
    ethtool = await resolveEthtool();
  } catch (e) {
    if (!(e instanceof KernelError) || (e.code !== 'not-found' && e.code !== 'not-supported')) throw e;
  }
  const rcvbuf = opts.recvBufferSize ?? rcvbufFromEnv() ?? DEFAULT_MONITOR_RCVBUF;
  let mon: DecodingMonitor;
  if (opts.childArgv) {
    const c = new ChildMonitor(opts.childArgv, rcvbuf, ethtool);
    try {
      await c.ready();
    } catch (e) {
      c.close();
      throw e;
    }
    mon = c;
  } else mon = new InProcessMonitor(rcvbuf, ethtool);
  return Object.assign(mon, { featureMonitoring: ethtool !== null });
}
