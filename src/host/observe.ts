import type { DriverInfo, FeatureMap, Interface, LinkInfo, Observation } from '../model/types.js';
import { KernelError, type KernelBackend } from '../kernel/types.js';
import { classifyRole } from './roles.js';
import { emptyVmIndex, resolveVm, vmHintFromName, type VmIndex } from './vm.js';
import { readVmIndex, type VmSources } from './vm-reader.js';

export interface ObserveOptions extends VmSources {
  /** Skip per-interface driver lookups (driver becomes null): for callers that never show it. */
  skipDrivers?: boolean;
}

/**
 * observe: the kernel's links and features (one dump each, concurrently), driver names, and what the
 * VM platforms record → an Observation. Links present in one dump and gone from the other (a VM stopped
 * in between) are dropped, never an error.
 */
export async function observeHost(kernel: KernelBackend, opts: ObserveOptions = {}): Promise<Observation> {
  const takenAt = new Date().toISOString();
  // Both dumps at once: they use different sockets (rtnetlink, generic netlink), so the kernel
  // builds one while this process decodes the other. (Two dumps on one socket would get EBUSY from
  // netlink_dump_start; backends keep one socket per family.)
  const [links, features] = await Promise.all([kernel.listLinks(), kernel.dumpFeatures()]);
  const present = links.filter((l) => features.has(l.ifindex));
  const drivers = opts.skipDrivers ? new Map<number, DriverInfo>() : await driversOf(kernel, present);
  const vmIndex = readVmIndex(opts, present.map((l) => l.name));
  return buildObservation({ links, features, drivers, vmIndex, backend: kernel.name, takenAt });
}

async function driversOf(kernel: KernelBackend, links: readonly LinkInfo[]): Promise<Map<number, DriverInfo>> {
  if (kernel.dumpDriverInfo) return kernel.dumpDriverInfo([...links]);
  // One lookup per link, one at a time: a backend may answer driverInfo with a dump of its own, and
  // two dumps on one netlink socket collide (EBUSY).
  const out = new Map<number, DriverInfo>();
  for (const l of links) {
    try {
      out.set(l.ifindex, await kernel.driverInfo(l.name));
    } catch (e) {
      // Gone since the dump (a VM stopped): its driver stays unknown. Anything else is a real error.
      if (!(e instanceof KernelError && e.code === 'not-found')) throw e;
    }
  }
  return out;
}

export interface ObservationInput {
  links: readonly LinkInfo[];
  /** ifindex → features (FEATURES_GET dump). */
  features: ReadonlyMap<number, FeatureMap>;
  /** ifindex → driver; missing entries give driver null. */
  drivers?: ReadonlyMap<number, DriverInfo>;
  vmIndex?: VmIndex;
  backend: Observation['backend'];
  takenAt?: string;
}

/**
 * Pure assembly: links + features + drivers + VM index → Interfaces, in ifindex order.
 * A link without features (vanished between the two dumps) is dropped; a master that is not in the
 * link list (gone, or in another namespace) leaves master null.
 */
export function buildObservation(input: ObservationInput): Observation {
  const byIndex = new Map<number, LinkInfo>();
  for (const l of input.links) byIndex.set(l.ifindex, l);
  const vmIndex = input.vmIndex ?? emptyVmIndex();
  const interfaces: Interface[] = [];
  const sorted = [...input.links].sort((a, b) => a.ifindex - b.ifindex);
  for (const l of sorted) {
    const features = input.features.get(l.ifindex);
    if (!features) continue;
    const master = l.masterIndex !== null ? (byIndex.get(l.masterIndex) ?? null) : null;
    interfaces.push(interfaceOf(l, master, features, input.drivers?.get(l.ifindex) ?? null, vmIndex));
  }
  return { takenAt: input.takenAt ?? new Date().toISOString(), backend: input.backend, interfaces };
}

const NO_VMS = emptyVmIndex();

/** One link as an Interface: `master` is its master's link (null: none, or not in this namespace). */
export function interfaceOf(l: LinkInfo, master: LinkInfo | null, features: FeatureMap, driver: DriverInfo | null, vmIndex: VmIndex = NO_VMS): Interface {
  const hint = vmHintFromName(l.name);
  return {
    ifindex: l.ifindex,
    name: l.name,
    kind: l.kind,
    role: classifyRole(l, master?.kind ?? null, hint),
    master: master?.name ?? null,
    driver: driver?.driver ?? null,
    mtu: l.mtu,
    operstate: l.operstate,
    vm: resolveVm(l.name, vmIndex, hint),
    features,
  };
}
