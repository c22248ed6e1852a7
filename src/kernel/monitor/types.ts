import type { FeatureMap, LinkInfo } from '../../model/types.js';
import type { RawSocketLike } from '../netlink/raw-socket.js';

/**
 * What the kernel tells a subscriber, already decoded:
 * - `link-new`: RTM_NEWLINK (a link appeared, or an existing link changed: master, name, flags ...);
 * - `link-del`: RTM_DELLINK;
 * - `features`: ethtool FEATURES_NTF from the genl "monitor" group (a feature change, by anyone);
 * - `overrun`: the socket's receive buffer overflowed (ENOBUFS): events were lost, resync.
 * `at` is the receipt time (performance.now() milliseconds), the start of the enforcement delay.
 */
export type MonitorEvent =
  | { type: 'link-new'; link: LinkInfo; at: number }
  | { type: 'link-del'; ifindex: number; name: string; at: number }
  | { type: 'features'; ifindex: number; name: string; features: FeatureMap; at: number }
  | {
      type: 'overrun';
      source: 'rtnetlink' | 'ethtool';
      at: number /** e.g. why the socket process died */;
      detail?: string;
    };

export interface KernelMonitor {
  /** Called for each event, in socket order. Replaces any previous handler. */
  onEvent(handler: (e: MonitorEvent) => void): void;
  /** Called when a socket fails for good (not ENOBUFS): the agent should exit with a system error. */
  onError(handler: (e: Error) => void): void;
  close(): void;
  /**
   * A generic netlink socket for requests, in the process that holds the monitor's sockets, when
   * that is another process (requests that wait for RTNL then do not block the caller); else none.
   */
  requestSocket?(): RawSocketLike;
  /** Where the sockets are read: this process, or a child process (see kernel/monitor.ts). */
  readonly placement?: 'inline' | 'child';
}

export interface MonitorOptions {
  /** SO_RCVBUF of each socket in bytes (default 4 MiB; capped by net.core.rmem_max). */
  recvBufferSize?: number;
}
