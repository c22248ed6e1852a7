import { KernelError, type FeatureChannel, type LinkRef, type SetReply } from '../types.js';
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
  featuresToMap,
  splitFeaturesHeader,
} from './ethtool-msg.js';
import { resolveEthtoolFamily, type EthtoolFamily } from './ethtool-family.js';

export type { SetReply } from '../types.js';

const NOTHING: SetReply = Object.freeze({ notApplied: Object.freeze([]), changed: Object.freeze([]) });

const IFINDEX_MARK = 0x7eadbeef;

/**
 * The netlink FeatureChannel: FEATURES_SET by ifindex with its reply, and FEATURES_GET by ifindex,
 * on an ethtool socket of its own. A burst asks for the same changes on hundreds of links, so each
 * distinct request is encoded once and only the device index is patched into a copy of the header nest.
 */
export class FeatureSetter implements FeatureChannel {
  private readonly encoded = new Map<string, { parts: Buffer[]; at: [part: number, offset: number] }>();
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
    const reply = r.messages.find((m) => m.payload[0] === ETHTOOL_MSG_FEATURES_SET_REPLY); // genl cmd
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

  private encode(changes: Record<string, boolean>, ifname: string): { parts: Buffer[]; at: [number, number] } {
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
      e = { parts, at };
      if (this.encoded.size < 64) this.encoded.set(key, e);
    }
    return e;
  }
}
