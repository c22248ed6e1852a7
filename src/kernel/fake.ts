import type { DriverInfo, FeatureMap, LinkInfo } from '../model/types.js';
import { KernelError, type KernelBackend, type SetFeaturesResult } from './types.js';

/**
 * An in-memory KernelBackend for unit tests of everything above the kernel boundary.
 * It models fixed bits (ignored by setFeatures, reported in notApplied), unknown devices
 * (KernelError 'not-found'), injected failures, disappearing links, and records every call.
 * It does not model feature dependencies (TSO needs SG, bridges OR their ports): pass
 * `applyRules` to add that where a test needs it.
 */
export interface FakeKernelInit {
  links: LinkInfo[];
  /** ifname → features. */
  features: Record<string, FeatureMap>;
  drivers?: Record<string, DriverInfo>;
  /** Interfaces whose setFeatures throws KernelError('invalid'). */
  failOn?: Set<string>;
  /**
   * Called after requested bits changed and before notApplied is computed; may rewrite `active`
   * (and `requested`) to model kernel dependencies. Default: active = requested for non-fixed bits.
   */
  applyRules?: (ifname: string, features: FeatureMap) => void;
  /** Feature names in bit order; default: the union of all features' names, in first-seen order. */
  featureNames?: string[];
}

export type FakeCall =
  | { method: 'listLinks' }
  | { method: 'dumpFeatures' }
  | { method: 'getFeatures'; ifname: string }
  | { method: 'setFeatures'; ifname: string; changes: Record<string, boolean> }
  | { method: 'driverInfo'; ifname: string }
  | { method: 'featureNames' }
  | { method: 'close' };

export class FakeKernel implements KernelBackend {
  readonly name = 'fake' as const;
  /** Every call in order, for assertions. */
  readonly calls: FakeCall[] = [];
  /** Mutable: tests may add or remove names at any time. */
  failOn: Set<string>;
  applyRules?: (ifname: string, features: FeatureMap) => void;
  private links: LinkInfo[];
  private features: Map<string, FeatureMap>;
  private drivers: Record<string, DriverInfo>;
  private names: string[];
  closed = false;

  constructor(init: FakeKernelInit) {
    this.links = init.links.map((l) => ({ ...l, tun: l.tun ? { ...l.tun } : null }));
    this.features = new Map(Object.entries(init.features).map(([k, v]) => [k, cloneFeatures(v)]));
    this.drivers = { ...(init.drivers ?? {}) };
    this.failOn = init.failOn ?? new Set();
    this.applyRules = init.applyRules;
    if (init.featureNames) this.names = [...init.featureNames];
    else {
      const seen = new Set<string>();
      for (const fm of this.features.values()) for (const k of Object.keys(fm)) seen.add(k);
      this.names = [...seen];
    }
  }

  async listLinks(): Promise<LinkInfo[]> {
    this.calls.push({ method: 'listLinks' });
    return this.links.map((l) => ({ ...l, tun: l.tun ? { ...l.tun } : null }));
  }

  async dumpFeatures(): Promise<Map<number, FeatureMap>> {
    this.calls.push({ method: 'dumpFeatures' });
    const out = new Map<number, FeatureMap>();
    for (const l of this.links) {
      const fm = this.features.get(l.name);
      if (fm) out.set(l.ifindex, cloneFeatures(fm));
    }
    return out;
  }

  async getFeatures(ifname: string): Promise<FeatureMap> {
    this.calls.push({ method: 'getFeatures', ifname });
    return cloneFeatures(this.lookup(ifname));
  }

  async setFeatures(ifname: string, changes: Record<string, boolean>): Promise<SetFeaturesResult> {
    this.calls.push({ method: 'setFeatures', ifname, changes: { ...changes } });
    const fm = this.lookup(ifname);
    if (this.failOn.has(ifname)) {
      throw new KernelError('invalid', `${ifname}: injected failure`, { errno: 22, ifname });
    }
    for (const name of Object.keys(changes)) {
      if (!(name in fm)) {
        throw new KernelError('not-supported', `${ifname}: unknown feature ${name}`, { errno: 95, ifname });
      }
    }
    for (const [name, value] of Object.entries(changes)) {
      const st = fm[name]!;
      if (st.fixed) continue;
      st.requested = value;
    }
    if (this.applyRules) this.applyRules(ifname, fm);
    else for (const st of Object.values(fm)) if (!st.fixed) st.active = st.requested;
    const notApplied = Object.entries(changes)
      .filter(([name, value]) => fm[name]!.active !== value)
      .map(([name]) => name);
    return { ifname, notApplied };
  }

  async driverInfo(ifname: string): Promise<DriverInfo> {
    this.calls.push({ method: 'driverInfo', ifname });
    this.lookup(ifname);
    const d = this.drivers[ifname];
    if (d) return { ...d };
    const link = this.links.find((l) => l.name === ifname)!;
    return { driver: link.kind, busInfo: null };
  }

  async featureNames(): Promise<string[]> {
    this.calls.push({ method: 'featureNames' });
    return [...this.names];
  }

  close(): void {
    this.calls.push({ method: 'close' });
    this.closed = true;
  }

  // ---- test controls (not part of KernelBackend) ----

  /** Make an interface vanish (a VM stopped): later lookups throw 'not-found'. */
  removeLink(name: string): void {
    this.links = this.links.filter((l) => l.name !== name);
    this.features.delete(name);
    delete this.drivers[name];
  }

  /** Add (or replace) an interface, e.g. a VM port that appeared. */
  addLink(link: LinkInfo, features: FeatureMap, driver?: DriverInfo): void {
    this.removeLink(link.name);
    this.links.push({ ...link });
    this.features.set(link.name, cloneFeatures(features));
    if (driver) this.drivers[link.name] = { ...driver };
  }

  /** Direct access to an interface's live feature map (mutations are kept), or undefined. */
  peekFeatures(ifname: string): FeatureMap | undefined {
    return this.features.get(ifname);
  }

  private lookup(ifname: string): FeatureMap {
    const fm = this.features.get(ifname);
    if (!fm || !this.links.some((l) => l.name === ifname)) {
      throw new KernelError('not-found', `no such device: ${ifname}`, { errno: 19, ifname });
    }
    return fm;
  }
}

function cloneFeatures(fm: FeatureMap): FeatureMap {
  const out: FeatureMap = {};
  for (const [k, v] of Object.entries(fm)) out[k] = { ...v };
  return out;
}
