import type { DriverInfo, FeatureMap, LinkInfo } from '../model/types.js';

/**
 * What the agent knows of the kernel's links, as last seen: links, their features (and which it has
 * not read yet), driver info, which links are masters; and the order of feature notifications, so
 * a read (dump or GET) sent before a notification but answered after it does not overwrite it.
 */
export class LinkCache {
  readonly links = new Map<number, LinkInfo>();
  readonly features = new Map<number, FeatureMap>();
  /** Links whose features the agent has not seen yet (new links: no FEATURES_NTF at creation). */
  readonly unknownFeatures = new Set<number>();
  readonly drivers = new Map<number, DriverInfo>();
  /** ifindexes that are some link's master (bridges, bonds), as of the last reconcile. */
  masters = new Set<number>();
  private seq = 0;
  private readonly notifiedAt = new Map<number, number>();

  /** Stamp a read with this before sending it; see newerNotification. */
  get readStamp(): number {
    return this.seq;
  }

  /** A FEATURES_NTF: the link's features as the kernel announced them. */
  notified(ifindex: number, features: FeatureMap): void {
    this.features.set(ifindex, features);
    this.notifiedAt.set(ifindex, ++this.seq);
    this.unknownFeatures.delete(ifindex);
  }

  /** A notification for ifindex came after the read stamped `stamp`: what that read says is older. */
  newerNotification(ifindex: number, stamp: number): boolean {
    return (this.notifiedAt.get(ifindex) ?? 0) > stamp;
  }

  /** Features read from the kernel (unless a notification since the read's stamp is newer). */
  read(ifindex: number, features: FeatureMap, stamp: number): boolean {
    if (this.newerNotification(ifindex, stamp)) return false;
    this.features.set(ifindex, features);
    this.unknownFeatures.delete(ifindex);
    return true;
  }

  forget(ifindex: number): void {
    this.notifiedAt.delete(ifindex);
    this.links.delete(ifindex);
    this.features.delete(ifindex);
    this.unknownFeatures.delete(ifindex);
    this.drivers.delete(ifindex);
  }
}

/** Did what the policy's answer depends on change: name, kind, master, physical or tun type? */
export function linkChanged(a: LinkInfo, b: LinkInfo): boolean {
  return (
    a.name !== b.name ||
    a.kind !== b.kind ||
    a.masterIndex !== b.masterIndex ||
    a.slaveKind !== b.slaveKind ||
    a.physical !== b.physical ||
    (a.tun?.type ?? null) !== (b.tun?.type ?? null)
  );
}
