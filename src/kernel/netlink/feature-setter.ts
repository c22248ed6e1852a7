import { KernelError, type FeatureChannel, type LinkRef, type SetReply } from '../types.js';
import { NlSocket, type RawSocketLike } from './socket.js';
import { encodeMessage, NETLINK_GENERIC, type NlMessage } from './nlmsg.js';
import type { FeatureMap } from '../../model/types.js';
import {
  decodeFeaturesCompact,
  decodeFeaturesReply,
  decodeSetReplyNotApplied,
  encodeFeaturesGet,
  encodeFeaturesSet,
  ETHTOOL_MSG_FEATURES_GET_REPLY,
  ETHTOOL_MSG_FEATURES_SET_REPLY,
  featuresToMap,
  splitFeaturesHeader,
} from './ethtool-msg.js';
import { resolveEthtoolFamily, type EthtoolFamily } from './ethtool-family.js';

export type { SetReply } from '../types.js';

const NOTHING: SetReply = Object.freeze({ notApplied: Object.freeze([]), changed: Object.freeze([]) });

const IFINDEX_MARK = 0x7eadbeef;

/** setMany: at most this many SETs per datagram (their replies must fit the socket's receive buffer). */
const MANY_PER_DATAGRAM = 128;

interface Encoded {
  parts: Buffer[];
  at: [part: number, offset: number];
  /** The whole netlink message (flags, sequence number and port 0) and the device index's offset in it. */
  msg: Buffer;
  msgAt: number;
}

/**
 * The netlink FeatureChannel: FEATURES_SET by ifindex with its reply, and FEATURES_GET by ifindex,
 * on an ethtool socket of its own. A burst asks for the same changes on hundreds of links, so each
 * distinct request is encoded once and only the device index is patched into a copy of the header nest.
 */
export class FeatureSetter implements FeatureChannel {
  private readonly encoded = new Map<string, Encoded>();
  /** Reply bitsets (the bytes after the header nest) → decoded: a burst's replies are all alike. */
  private readonly replies = new Map<string, SetReply>();

  constructor(
    private readonly sock: NlSocket,
    private readonly family: EthtoolFamily,
  ) {}

  /** On a new socket (`raw`: the socket to send on; default one in this process), resolving the family on it. */
  static async open(raw?: RawSocketLike): Promise<FeatureSetter> {
    const sock = new NlSocket(NETLINK_GENERIC, raw);
    try {
      return new FeatureSetter(sock, await resolveEthtoolFamily(sock));
    } catch (e) {
      sock.close();
      throw e;
    }
  }

  /** Which asked-for bits did not end as asked, and which changed. */
  async set(link: LinkRef, changes: Record<string, boolean>): Promise<SetReply> {
    const e = this.encode(changes, link.name);
    const parts = e.parts.slice();
    const [pi, off] = e.at;
    const b = Buffer.from(parts[pi]!);
    b.writeUInt32LE(link.index, off);
    parts[pi] = b;
    // Ackless (socket.ts): a burst's SETs leave in one datagram and only its last one asks for an
    // ACK. The kernel still answers each SET on its own: an error (always acked, netlink_rcv_skb)
    // rejects it, and its FEATURES_SET_REPLY (ethnl_set_features sends one unless the request says
    // OMIT_REPLY: the bits that did not end as asked, and those that changed) reaches it by sequence
    // number before that last ACK settles it. What goes away is one ACK datagram per SET.
    const r = await this.sock.request(this.family.id, parts, {
      what: `FEATURES_SET ${link.name}`,
      ifname: link.name,
      ackless: true,
    });
    return this.decodeReply(r.messages.find((m) => m.payload[0] === ETHTOOL_MSG_FEATURES_SET_REPLY)); // genl cmd
  }

  /**
   * `set` for many links at once, without a Promise, a request entry or a Buffer per link: the SETs
   * are written back to back into one datagram (NlSocket.requestMany; at most MANY_PER_DATAGRAM
   * each, one after the other), every one but the last ackless as in `set`, and each learns its
   * own outcome from its FEATURES_SET_REPLY or its error by sequence number. One entry per item,
   * in order: its SetReply or its KernelError. Rejects only when the socket fails as a whole.
   */
  async setMany(
    items: ReadonlyArray<{ link: LinkRef; changes: Record<string, boolean> }>,
  ): Promise<Array<SetReply | KernelError>> {
    const out: Array<SetReply | KernelError> = new Array(items.length);
    for (let from = 0; from < items.length; from += MANY_PER_DATAGRAM) {
      const n = Math.min(MANY_PER_DATAGRAM, items.length - from);
      const msgs: Encoded[] = new Array(n);
      let size = 0;
      for (let i = 0; i < n; i++) {
        const it = items[from + i]!;
        try {
          msgs[i] = this.encode(it.changes, it.link.name);
          size += msgs[i]!.msg.length;
        } catch (e) {
          out[from + i] = e instanceof KernelError ? e : new KernelError('io', String(e));
        }
      }
      const datagram = Buffer.allocUnsafe(size);
      const offsets: number[] = [];
      const which: number[] = []; // offsets' index → item index
      let off = 0;
      for (let i = 0; i < n; i++) {
        const e = msgs[i];
        if (!e) continue;
        e.msg.copy(datagram, off);
        datagram.writeUInt32LE(items[from + i]!.link.index, off + e.msgAt);
        offsets.push(off);
        which.push(from + i);
        off += e.msg.length;
      }
      const replies: Array<NlMessage | undefined> = new Array(offsets.length);
      const errors = await this.sock.requestMany(
        this.family.id,
        datagram,
        offsets,
        (k) => {
          const name = items[which[k]!]!.link.name;
          return { what: `FEATURES_SET ${name}`, ifname: name };
        },
        undefined,
        (k, m) => {
          if (m.payload[0] === ETHTOOL_MSG_FEATURES_SET_REPLY) replies[k] = m; // genl cmd
        },
      );
      for (let k = 0; k < offsets.length; k++) out[which[k]!] = errors[k] ?? this.decodeReply(replies[k]);
    }
    return out;
  }

  /** A FEATURES_SET_REPLY decoded (interned: a burst's replies are all alike). */
  private decodeReply(reply: NlMessage | undefined): SetReply {
    // no reply: the kernel had nothing to report (every asked-for bit as asked, nothing changed)
    if (!reply) return NOTHING;
    const key = splitFeaturesHeader(reply.payload)?.body;
    let d = key !== undefined ? this.replies.get(key) : undefined;
    if (!d) {
      const x = decodeSetReplyNotApplied(reply.payload, this.family.names as string[]);
      d = Object.freeze({ notApplied: Object.freeze(x.notApplied), changed: Object.freeze(x.changed) });
      if (key !== undefined && this.replies.size < 256) this.replies.set(key, d);
    }
    return d;
  }

  /** The device's features (FEATURES_GET by index; not-found when it is gone). */
  async get(link: LinkRef): Promise<FeatureMap> {
    const r = await this.sock.request(this.family.id, encodeFeaturesGet({ ifindex: link.index }), {
      what: `FEATURES_GET ${link.name}`,
      ifname: link.name,
    });
    const msg = r.messages.find((m) => m.payload[0] === ETHTOOL_MSG_FEATURES_GET_REPLY); // genl cmd
    if (!msg) throw new KernelError('io', `FEATURES_GET ${link.name}: no reply`, { ifname: link.name });
    return (
      decodeFeaturesCompact(msg.payload, this.family.layout())?.features ??
      featuresToMap(decodeFeaturesReply(msg.payload), this.family.names as string[])
    );
  }

  close(): void {
    this.sock.close();
  }

  private encode(changes: Record<string, boolean>, ifname: string): Encoded {
    const key = Object.entries(changes)
      .map(([k, v]) => `${k}=${v ? 1 : 0}`)
      .join(',');
    let e = this.encoded.get(key);
    if (!e) {
      const send: Array<[number, boolean]> = [];
      for (const [name, on] of Object.entries(changes)) {
        const i = this.family.bitOf.get(name);
        if (i === undefined) throw new KernelError('not-supported', `${ifname}: unknown feature ${name}`, { ifname });
        send.push([i, on]);
      }
      const parts = encodeFeaturesSet({ ifindex: IFINDEX_MARK }, this.family.names.length, send);
      let at: [number, number] | null = null;
      parts.forEach((buf, pi) => {
        for (let o = 0; at === null && o + 4 <= buf.length; o += 4)
          if (buf.readUInt32LE(o) === IFINDEX_MARK) at = [pi, o];
      });
      if (!at) throw new KernelError('io', 'FEATURES_SET encoding: device index not found');
      const [pi, po] = at as [number, number]; // set in the closure above
      let msgAt = 16 + po; // after the nlmsghdr
      for (let i = 0; i < pi; i++) msgAt += parts[i]!.length;
      e = { parts, at, msg: encodeMessage(this.family.id, 0, 0, 0, parts), msgAt };
      if (this.encoded.size < 64) this.encoded.set(key, e);
    }
    return e;
  }
}
