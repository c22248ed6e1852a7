/**
 * KernelBackend over ethtool generic netlink (features) and rtnetlink (links), one socket each,
 * opened lazily. Feature bits are addressed by name through the kernel's ETH_SS_FEATURES string set
 * (fetched once per process), never by hard-coded index: the list differs between kernels.
 */
import type { DriverInfo, FeatureMap, LinkInfo } from '../../model/types.js';
import { driverInfoFor } from '../driver-info.js';
import { KernelError, type FeatureChannel, type KernelBackend, type SetFeaturesResult } from '../types.js';
import type { KernelMonitor } from '../monitor/types.js';
import { ethtoolFamily, fetchFeatureNames, resolveFamily, type EthtoolFamily } from './ethtool-family.js';
import { FeatureSetter } from './feature-setter.js';
import {
  decodeFeaturesCompact,
  decodeFeaturesReply,
  decodeSetReplyNotApplied,
  encodeFeaturesGet,
  encodeFeaturesSet,
  encodeFeaturesWanted,
  ETHTOOL_GENL_NAME,
  featuresSetMessageLength,
  writeFeaturesSetMessage,
  ETHTOOL_MCGRP_MONITOR_NAME,
  ETHTOOL_MSG_FEATURES_GET_REPLY,
  ETHTOOL_MSG_FEATURES_SET_REPLY,
  featureLayout,
  featuresToMap,
} from './ethtool-msg.js';
import type { GenlFamily } from './genl.js';
import { NETLINK_GENERIC, NETLINK_ROUTE } from './nlmsg.js';
import { decodeLink, encodeGetLinkByName, encodeGetLinkDump, RTM_GETLINK, RTM_NEWLINK } from './rtnl.js';
import { NlSocket } from './socket.js';

/**
 * FEATURES_SETs per datagram in setFeaturesMany (~100 bytes each). Bounded so that a datagram
 * whose every message fails (EPERM) queues at most this many error answers (~1 KiB each in the
 * receive buffer, which an overrun would cost: kernel-facts.md, netlink pitfall 3).
 */
const SET_DATAGRAM = 128;

/** How often a dump is retried when the kernel flags it NLM_F_DUMP_INTR. */
const DUMP_RETRIES = 5;

/**
 * The ethtool family with its feature names, once resolved (the same for every backend of this
 * process: generic netlink family ids and the feature list are global to the kernel). The request
 * in flight is kept per backend: a backend closed before its answer came must not fail another's.
 */
let familyCache: EthtoolFamily | null = null;

export { resolveFamily } from './ethtool-family.js';

export class NetlinkBackend implements KernelBackend {
  readonly name = 'netlink' as const;
  private rtnl: NlSocket | null = null;
  private familyPending: Promise<EthtoolFamily> | null = null;

  private constructor(
    private readonly genl: NlSocket,
    readonly family: GenlFamily,
  ) {}

  /** Over an already open generic netlink socket (unit tests replay recorded kernel messages). */
  static fromSocket(genl: NlSocket, family: GenlFamily): NetlinkBackend {
    return new NetlinkBackend(genl, family);
  }

  /** Opens the generic netlink socket and resolves the "ethtool" family (throws 'not-supported'). */
  static async open(): Promise<NetlinkBackend> {
    const sock = new NlSocket(NETLINK_GENERIC);
    try {
      const fam = await resolveFamily(sock, ETHTOOL_GENL_NAME);
      const backend = new NetlinkBackend(sock, fam);
      // Every command that reads features needs the kernel's feature names (static for the life of
      // the kernel): ask now, so the round trip overlaps the caller's module loading. A failure is
      // reported by whoever needs the names (featureNames() asks again).
      backend.prefetchNames();
      return backend;
    } catch (e) {
      sock.close();
      throw e;
    }
  }

  /** Multicast group id of ethtool's "monitor" group (FEATURES_NTF), for the agent. */
  get monitorGroup(): number | null {
    return this.family.groups.get(ETHTOOL_MCGRP_MONITOR_NAME) ?? null;
  }

  featureNames(): Promise<string[]> {
    return this.names().then((n) => [...n]);
  }

  private prefetchNames(): void {
    void this.ethtool().catch(() => undefined);
  }

  /** The resolved ethtool family: id, monitor group, feature names and their bit indexes. */
  ethtool(): Promise<EthtoolFamily> {
    if (familyCache && familyCache.id === this.family.id) return Promise.resolve(familyCache);
    if (!this.familyPending) {
      const p = fetchFeatureNames(this.genl, this.family.id).then(
        (names) => (familyCache = ethtoolFamily(this.family, names)),
      );
      this.familyPending = p;
      p.catch(() => {
        if (this.familyPending === p) this.familyPending = null;
      });
    }
    return this.familyPending;
  }

  private async names(): Promise<readonly string[]> {
    return (await this.ethtool()).names;
  }

  /**
   * FEATURES_SET / GET by ifindex with replies, on a socket of their own: in the monitor's process
   * when it has one (a SET waits there for RTNL, not in the caller's event loop), else here.
   */
  async openFeatureChannel(monitor?: KernelMonitor): Promise<FeatureChannel> {
    const family = await this.ethtool();
    return new FeatureSetter(new NlSocket(NETLINK_GENERIC, monitor?.requestSocket?.()), family);
  }

  async dumpFeatures(): Promise<Map<number, FeatureMap>> {
    const names = await this.names();
    for (let attempt = 0; ; attempt++) {
      const r = await this.genl.request(this.family.id, encodeFeaturesGet({}), {
        dump: true,
        what: 'FEATURES_GET dump',
      });
      if (r.interrupted) {
        if (attempt < DUMP_RETRIES) continue;
        throw new KernelError(
          'busy',
          `FEATURES_GET dump interrupted ${DUMP_RETRIES + 1} times (devices changing constantly)`,
        );
      }
      const out = new Map<number, FeatureMap>();
      const layout = featureLayout(names);
      for (const m of r.messages) {
        if (m.type !== this.family.id) continue;
        // Interned: devices of one kind share one frozen FeatureMap (5000 veths → a handful of
        // maps instead of 5000 × 64 properties to allocate and collect; status --json writes each
        // distinct map's text once, keyed by identity).
        const fast = decodeFeaturesCompact(m.payload, layout, { interned: true });
        if (fast) {
          if (fast.ifindex !== null) out.set(fast.ifindex, fast.features);
          continue;
        }
        const fr = decodeFeaturesReply(m.payload);
        if (fr.header.ifindex === null) continue;
        out.set(fr.header.ifindex, featuresToMap(fr, names));
      }
      return out;
    }
  }

  async getFeatures(ifname: string): Promise<FeatureMap> {
    checkName(ifname);
    const names = await this.names();
    const r = await this.genl.request(this.family.id, encodeFeaturesGet({ ifname }), {
      what: `FEATURES_GET ${ifname}`,
      ifname,
    });
    const msg = r.messages.find((m) => decodeGenlCmd(m.payload) === ETHTOOL_MSG_FEATURES_GET_REPLY);
    if (!msg) throw new KernelError('io', `FEATURES_GET ${ifname}: no reply`, { ifname });
    return featuresToMap(decodeFeaturesReply(msg.payload), names);
  }

  async setFeatures(ifname: string, changes: Record<string, boolean>): Promise<SetFeaturesResult> {
    checkName(ifname);
    const { names, bitOf: index } = await this.ethtool();
    const unknown = Object.keys(changes).filter((n) => !index.has(n));
    if (unknown.length) {
      throw new KernelError(
        'not-supported',
        `${ifname}: unknown feature ${unknown.join(', ')} (not in this kernel's feature list)`,
        { ifname },
      );
    }
    // The kernel rejects the whole request with EINVAL if it touches a NETIF_F_NEVER_CHANGE bit
    // (ethnl_set_features), and silently ignores bits outside hw_features. Read first so fixed bits
    // are left out and reported as not applied when they differ, like `ethtool -K` does.
    const before = await this.getFeatures(ifname);
    const notApplied: string[] = [];
    const send: Array<[number, boolean]> = [];
    for (const [name, on] of Object.entries(changes)) {
      const st = before[name];
      if (st?.fixed) {
        if (st.active !== on) notApplied.push(name);
        continue;
      }
      send.push([index.get(name)!, on]);
    }
    if (send.length) {
      const r = await this.genl.request(this.family.id, encodeFeaturesSet({ ifname }, names.length, send), {
        what: `FEATURES_SET ${ifname}`,
        ifname,
      });
      const reply = r.messages.find((m) => decodeGenlCmd(m.payload) === ETHTOOL_MSG_FEATURES_SET_REPLY);
      if (reply) notApplied.push(...decodeSetReplyNotApplied(reply.payload, names).notApplied);
    }
    return { ifname, notApplied: [...new Set(notApplied)] };
  }

  /**
   * FEATURES_SET for many devices with OMIT_REPLY and no pre-read, written straight into datagram
   * buffers of SET_DATAGRAM messages (writeFeaturesSetMessage: no Buffer, Promise or closure per
   * device) and sent with NlSocket.requestMany: the kernel answers only failures and one ACK per
   * datagram. The caller leaves fixed bits out and verifies with a dump (see
   * KernelBackend.setFeaturesMany).
   */
  async setFeaturesMany(
    items: readonly { ifname: string; changes: Record<string, boolean> }[],
  ): Promise<(KernelError | null)[]> {
    const { names, bitOf: index } = await this.ethtool();
    const out: (KernelError | null)[] = new Array(items.length).fill(null);
    // Most devices of one call get the same changes: encode each distinct WANTED bitset once.
    const wantedBy = new Map<string, Buffer>();
    const sends: { item: number; nameBytes: number; wanted: Buffer }[] = [];
    for (let n = 0; n < items.length; n++) {
      const { ifname, changes } = items[n]!;
      try {
        checkName(ifname);
        let key = '';
        let send: Array<[number, boolean]> | null = null;
        for (const name of Object.keys(changes)) {
          const i = index.get(name);
          if (i === undefined) {
            throw new KernelError(
              'not-supported',
              `${ifname}: unknown feature ${name} (not in this kernel's feature list)`,
              { ifname },
            );
          }
          const on = changes[name]!;
          (send ??= []).push([i, on]);
          key += on ? `+${i}` : `-${i}`;
        }
        if (!send) continue;
        let wanted = wantedBy.get(key);
        if (!wanted) wantedBy.set(key, (wanted = encodeFeaturesWanted(names.length, send)));
        sends.push({ item: n, nameBytes: Buffer.byteLength(ifname), wanted });
      } catch (e) {
        if (e instanceof KernelError) out[n] = e;
        else throw e;
      }
    }
    for (let start = 0; start < sends.length; start += SET_DATAGRAM) {
      const part = sends.slice(start, start + SET_DATAGRAM);
      let size = 0;
      for (const s of part) size += featuresSetMessageLength(s.nameBytes, s.wanted);
      const datagram = Buffer.allocUnsafe(size);
      const offsets: number[] = new Array(part.length);
      let off = 0;
      for (let j = 0; j < part.length; j++) {
        const s = part[j]!;
        offsets[j] = off;
        off = writeFeaturesSetMessage(
          datagram,
          off,
          this.family.id,
          items[s.item]!.ifname,
          s.nameBytes,
          s.wanted,
          true,
        );
      }
      const describe = (j: number) => {
        const ifname = items[part[j]!.item]!.ifname;
        return { what: `FEATURES_SET ${ifname}`, ifname };
      };
      let errors: (KernelError | null)[];
      try {
        errors = await this.genl.requestMany(this.family.id, datagram, offsets, describe);
      } catch (e) {
        // the datagram as a whole (send failed, no answer): every device in it
        if (!(e instanceof KernelError)) throw e;
        errors = part.map(() => e);
      }
      for (let j = 0; j < part.length; j++) if (errors[j]) out[part[j]!.item] = errors[j]!;
    }
    return out;
  }

  async listLinks(): Promise<LinkInfo[]> {
    if (!this.rtnl) this.rtnl = rtnlSocket();
    for (let attempt = 0; ; attempt++) {
      const r = await this.rtnl.request(RTM_GETLINK, encodeGetLinkDump(), { dump: true, what: 'RTM_GETLINK dump' });
      if (r.interrupted && attempt < DUMP_RETRIES) continue;
      if (r.interrupted) throw new KernelError('busy', 'RTM_GETLINK dump interrupted repeatedly');
      return r.messages.filter((m) => m.type === RTM_NEWLINK).map((m) => decodeLink(m.payload));
    }
  }

  /** One link by name (RTM_GETLINK without dump). Throws KernelError('not-found'). */
  async getLink(ifname: string): Promise<LinkInfo> {
    checkName(ifname);
    if (!this.rtnl) this.rtnl = rtnlSocket();
    const r = await this.rtnl.request(RTM_GETLINK, encodeGetLinkByName(ifname), {
      what: `RTM_GETLINK ${ifname}`,
      ifname,
    });
    const msg = r.messages.find((m) => m.type === RTM_NEWLINK);
    if (!msg) throw new KernelError('not-found', `no such device: ${ifname}`, { ifname });
    return decodeLink(msg.payload);
  }

  async driverInfo(ifname: string): Promise<DriverInfo> {
    return driverInfoFor(await this.getLink(ifname));
  }

  /** Driver info of every link in one pass (one RTM_GETLINK dump + sysfs reads). */
  async dumpDriverInfo(links?: LinkInfo[]): Promise<Map<number, DriverInfo>> {
    const ls = links ?? (await this.listLinks());
    return new Map(ls.map((l) => [l.ifindex, driverInfoFor(l)]));
  }

  close(): void {
    this.genl.close();
    this.rtnl?.close();
    this.rtnl = null;
  }
}

/**
 * The rtnetlink socket reads link dumps: 32 KiB datagrams, read whole (NlSocket's readBuffer):
 * 8x fewer datagrams and system calls than with peeking. 32 KiB is the most netlink_dump fills.
 */
function rtnlSocket(): NlSocket {
  return new NlSocket(NETLINK_ROUTE, undefined, { readBuffer: 32 << 10 });
}

function decodeGenlCmd(payload: Buffer): number {
  return payload.length ? payload[0]! : -1;
}

/** IFNAMSIZ is 16 including the NUL: longer names can't exist (the kernel would say ERANGE/EINVAL). */
function checkName(ifname: string): void {
  if (!ifname || Buffer.byteLength(ifname) > 15 || ifname.includes('/') || /\s/.test(ifname)) {
    throw new KernelError('not-found', `no such device: ${JSON.stringify(ifname)} (not a valid interface name)`, {
      ifname,
    });
  }
}
