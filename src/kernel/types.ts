import type { DriverInfo, FeatureMap, LinkInfo } from '../model/types.js';
import type { KernelMonitor } from './monitor/types.js';

/**
 * A network interface as the kernel addresses it, like mdlayher/ethtool's Interface{Index, Name}:
 * requests go by index (a name can be reused by another device meanwhile); the name is for messages.
 */
export interface LinkRef {
  readonly index: number;
  readonly name: string;
}

/** What the kernel's FEATURES_SET_REPLY says about one set (may be shared between equal replies: read only). */
export interface SetReply {
  /** Asked-for features whose state did not end as asked. */
  readonly notApplied: readonly string[];
  /** Features whose active state the set changed (dependencies included). */
  readonly changed: readonly string[];
}

/**
 * FEATURES_SET with its reply and FEATURES_GET, both by ifindex, for an enforcer that verifies each
 * change from the kernel's own answer (the agent). No pre-read: the caller leaves fixed bits out
 * (the kernel rejects a NETIF_F_NEVER_CHANGE bit with EINVAL, net/ethtool/features.c
 * ethnl_set_features). Requests are pipelined; each distinct change set is encoded once.
 */
export interface FeatureChannel {
  set(link: LinkRef, changes: Record<string, boolean>): Promise<SetReply>;
  get(link: LinkRef): Promise<FeatureMap>;
  close(): void;
}

/**
 * The one interface to the kernel (in the spirit of mdlayher/ethtool's Client): one method per
 * kernel message, a plural form that dumps all interfaces. Two backends implement it
 * (netlink: ethtool generic netlink + rtnetlink; ethtool: the ethtool/ip CLIs) and a fake for
 * unit tests of everything above it (src/kernel/fake.ts).
 */
export interface KernelBackend {
  readonly name: 'netlink' | 'ethtool' | 'fake';
  /** RTM_GETLINK dump: every link of the current network namespace. */
  listLinks(): Promise<LinkInfo[]>;
  /**
   * FEATURES_GET with NLM_F_DUMP: features of every device, keyed by ifindex.
   * The FeatureState objects may be shared between devices and frozen (the netlink backend reuses
   * the 8 possible states so 2000 devices × 60 features allocate nothing): copy before changing one.
   */
  dumpFeatures(): Promise<Map<number, FeatureMap>>;
  /** FEATURES_GET for one device. Throws KernelError('not-found') when it does not exist. */
  getFeatures(ifname: string): Promise<FeatureMap>;
  /**
   * FEATURES_SET: change the requested (wanted) state of the named kernel features; others untouched
   * (value+mask bitset). Features outside hw_features are ignored by the kernel; the result lists the
   * ones whose active state did not end as asked (reply's WANTED/ACTIVE diff), so callers can report.
   */
  setFeatures(ifname: string, changes: Record<string, boolean>): Promise<SetFeaturesResult>;
  /** Driver name and bus info (sysfs / kind based; ethtool netlink has no DRVINFO message). */
  driverInfo(ifname: string): Promise<DriverInfo>;
  /**
   * Optional: driver info of many links in one pass (keyed by ifindex), for observing thousands of
   * interfaces without one lookup each. Callers fall back to driverInfo() when a backend lacks it.
   */
  dumpDriverInfo?(links?: LinkInfo[]): Promise<Map<number, DriverInfo>>;
  /**
   * Optional (added for apply/restore at scale): FEATURES_SET on many devices, pipelined, without the
   * pre-read and without a reply (ETHTOOL_FLAG_OMIT_REPLY); the caller verifies with one dump. The
   * caller must leave fixed bits out (a NETIF_F_NEVER_CHANGE bit fails the request with EINVAL).
   * Resolves per item with null (done) or that device's KernelError. Callers fall back to
   * setFeatures() when a backend lacks it.
   */
  setFeaturesMany?(
    items: readonly { ifname: string; changes: Record<string, boolean> }[],
  ): Promise<(KernelError | null)[]>;
  /** Feature names of this kernel (string set ETH_SS_FEATURES), in bit order. */
  featureNames(): Promise<string[]>;
  /**
   * Optional: a FeatureChannel (set-with-reply and get, by ifindex). With `monitor`, its requests go
   * out from the monitor's process when it has one (a set waiting for RTNL does not block the
   * caller). Backends without it (the ethtool CLI) leave callers to setFeatures / setFeaturesMany.
   */
  openFeatureChannel?(monitor?: KernelMonitor): Promise<FeatureChannel>;
  close(): void;
}

export interface SetFeaturesResult {
  ifname: string;
  /** Features asked for whose active value differs from the request after the kernel applied it. */
  notApplied: string[];
}

export type KernelErrorCode =
  | 'not-found' // ENODEV / ENOENT: no such device (e.g. a VM port that went away)
  | 'permission-denied' // EPERM / EACCES: needs CAP_NET_ADMIN
  | 'not-supported' // EOPNOTSUPP: unknown feature name, no ethtool netlink
  | 'invalid' // EINVAL: e.g. a NEVER_CHANGE feature
  | 'busy' // EBUSY / EAGAIN / NLM_F_DUMP_INTR retries exhausted
  | 'io'; // anything else

/** An error from the kernel boundary, testable by code (like mdlayher/ethtool's os.ErrNotExist). */
export class KernelError extends Error {
  readonly code: KernelErrorCode;
  readonly errno: number | null;
  /** Extended ACK message from the kernel, when it sent one. */
  readonly extack: string | null;
  readonly ifname: string | null;
  constructor(code: KernelErrorCode, message: string, opts: { errno?: number; extack?: string; ifname?: string } = {}) {
    super(message);
    this.name = 'KernelError';
    this.code = code;
    this.errno = opts.errno ?? null;
    this.extack = opts.extack ?? null;
    this.ifname = opts.ifname ?? null;
  }
}
