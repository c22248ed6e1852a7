import { KernelError } from '../types.js';
import { resolveEthtool } from '../monitor/netlink-monitor.js';
import { NlSocket, type RawSocketLike } from './socket.js';
import { NETLINK_GENERIC } from './nlmsg.js';
import type { FeatureMap } from '../../model/types.js';
import {
  decodeFeaturesCompact,
  decodeFeaturesReply,
  decodeSetReplyNotApplied,
  encodeFeaturesGet,
  encodeFeaturesSet,
  ETHTOOL_MSG_FEATURES_GET_REPLY,
  ETHTOOL_MSG_FEATURES_SET_REPLY,
  featureLayout,
  featuresToMap,
  splitFeaturesHeader,
} from './ethtool-msg.js';

/** What the kernel's FEATURES_SET_REPLY says about one set (shared between equal replies: read only). */
export interface SetReply {
  readonly notApplied: readonly string[];
  /** Bits whose active state the set changed (dependencies included). */
  readonly changed: readonly string[];
}

const NOTHING: SetReply = Object.freeze({ notApplied: Object.freeze([]), changed: Object.freeze([]) });

const IFINDEX_MARK = 0x7eadbeef;

/**
 * FEATURES_SET by ifindex with its reply (and FEATURES_GET by ifindex), on an ethtool socket of its
 * own, for the agent's fast path: a burst asks for the same changes on hundreds of links, so each
 * distinct request is encoded once and only the device index is patched into a copy of the header nest.
 */
export class FeatureSetter {
  private readonly encoded = new Map<string, { parts: Buffer[]; at: [part: number, offset: number] }>();
  private readonly index = new Map<string, number>();
  /** Reply bitsets (the bytes after the header nest) → decoded: a burst's replies are all alike. */
  private readonly replies = new Map<string, SetReply>();

  private constructor(
    private readonly sock: NlSocket,
    private readonly family: number,
    private readonly names: string[],
  ) {
    names.forEach((n, i) => n && this.index.set(n, i));
  }

  /** `raw`: the socket to send on (default: a new one in this process; see KernelMonitor.requestSocket). */
  static async open(raw?: RawSocketLike): Promise<FeatureSetter> {
    const info = await resolveEthtool();
    return new FeatureSetter(new NlSocket(NETLINK_GENERIC, raw), info.family, info.names);
  }

  /** Which asked-for bits did not end as asked, and which changed. */
  async set(ifindex: number, ifname: string, changes: Record<string, boolean>): Promise<SetReply> {
    const e = this.encode(changes, ifname);
    const parts = e.parts.slice();
    const [pi, off] = e.at;
    const b = Buffer.from(parts[pi]!);
    b.writeUInt32LE(ifindex, off);
    parts[pi] = b;
    const r = await this.sock.request(this.family, parts, { what: `FEATURES_SET ${ifname}`, ifname });
    const reply = r.messages.find((m) => m.payload[0] === ETHTOOL_MSG_FEATURES_SET_REPLY); // genl cmd
    // no reply: the kernel had nothing to report (every asked-for bit as asked, nothing changed)
    if (!reply) return NOTHING;
    const key = splitFeaturesHeader(reply.payload)?.body;
    let d = key !== undefined ? this.replies.get(key) : undefined;
    if (!d) {
      const x = decodeSetReplyNotApplied(reply.payload, this.names);
      d = Object.freeze({ notApplied: Object.freeze(x.notApplied), changed: Object.freeze(x.changed) });
      if (key !== undefined && this.replies.size < 256) this.replies.set(key, d);
    }
    return d;
  }

  /** The device's features (FEATURES_GET by index; not-found when it is gone). */
  async get(ifindex: number, ifname: string): Promise<FeatureMap> {
    const r = await this.sock.request(this.family, encodeFeaturesGet({ ifindex }), { what: `FEATURES_GET ${ifname}`, ifname });
    const msg = r.messages.find((m) => m.payload[0] === ETHTOOL_MSG_FEATURES_GET_REPLY); // genl cmd
    if (!msg) throw new KernelError('io', `FEATURES_GET ${ifname}: no reply`, { ifname });
    return decodeFeaturesCompact(msg.payload, featureLayout(this.names))?.features ?? featuresToMap(decodeFeaturesReply(msg.payload), this.names);
  }

  close(): void {
    this.sock.close();
  }

  private encode(changes: Record<string, boolean>, ifname: string): { parts: Buffer[]; at: [number, number] } {
    const key = Object.entries(changes)
      .map(([k, v]) => `${k}=${v ? 1 : 0}`)
      .join(',');
    let e = this.encoded.get(key);
    if (!e) {
      const send: Array<[number, boolean]> = [];
      for (const [name, on] of Object.entries(changes)) {
        const i = this.index.get(name);
        if (i === undefined) throw new KernelError('not-supported', `${ifname}: unknown feature ${name}`, { ifname });
        send.push([i, on]);
      }
      const parts = encodeFeaturesSet({ ifindex: IFINDEX_MARK }, this.names.length, send);
      let at: [number, number] | null = null;
      parts.forEach((buf, pi) => {
        for (let o = 0; at === null && o + 4 <= buf.length; o += 4) if (buf.readUInt32LE(o) === IFINDEX_MARK) at = [pi, o];
      });
      if (!at) throw new KernelError('io', 'FEATURES_SET encoding: device index not found');
      e = { parts, at };
      if (this.encoded.size < 64) this.encoded.set(key, e);
    }
    return e;
  }
}
