import type { DriverInfo, FeatureMap, Interface, LinkInfo, Observation } from '../model/types.js';
import { KernelError, type KernelBackend } from '../kernel/types.js';
import { classifyRole } from './roles.js';
import { emptyVmIndex, resolveVm, vmHintFromName, type VmIndex } from './vm.js';
import { readVmIndex, type VmSources } from './vm-reader.js';
import { readOvsdbTables, defaultOvsdbSocket } from '../kernel/ovsdb.js';
import { topologyFromTables } from '../ovs/wire.js';
import { bridgeSummaries, isOvsDatapathDevice, ovsPortIndex, type OvsPortFacts } from '../ovs/ports.js';
import { ovsRole, ovsVm } from '../ovs/classify.js';
import type { OvsTopology } from '../ovs/types.js';

export interface ObserveOptions extends VmSources {
  /** Skip per-interface driver lookups (driver becomes null): for callers that never show it. */
  skipDrivers?: boolean;
  /** OVSDB socket to read the Open vSwitch topology from (default $OVS_RUNDIR/db.sock); null: do not read. */
  ovsdbSocket?: string | null;
}

/** The OVS topology, or null when no ovsdb-server answers (no OVS on this host). */
export async function readOvsTopology(socket: string | null | undefined): Promise<OvsTopology | null> {
  if (socket === null) return null;
  const path = socket ?? defaultOvsdbSocket();
  try {
    const tables = await readOvsdbTables(path);
    return tables ? topologyFromTables(tables) : null;
  } catch (e) {
    // OVS is there but does not answer: the kernel's view is still right, only less grouped.
    process.stderr.write(`offloadctl: warning: ${(e as Error).message}; OVS bridges are not shown\n`);
    return null;
  }
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
  // OVSDB is read alongside: on a host without OVS that is one failed connect() (ENOENT).
  const [links, features, ovs] = await Promise.all([
    kernel.listLinks(),
    kernel.dumpFeatures(),
    readOvsTopology(opts.ovsdbSocket),
  ]);
  const present = links.filter((l) => features.has(l.ifindex));
  const drivers = opts.skipDrivers ? new Map<number, DriverInfo>() : await driversOf(kernel, present);
  const vmIndex = readVmIndex(
    opts,
    present.map((l) => l.name),
  );
  return buildObservation({ links, features, drivers, vmIndex, backend: kernel.name, takenAt, ovs });
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
  /** Open vSwitch topology from OVSDB: its bridges/ports replace the kernel's master and role. */
  ovs?: OvsTopology | null;
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
  const ovsIndex = input.ovs
    ? ovsPortIndex(input.ovs, new Map(input.links.map((l) => [l.name, { ifindex: l.ifindex, mac: l.mac }])))
    : null;
  for (const l of sorted) {
    const features = input.features.get(l.ifindex);
    if (!features) continue;
    const master = l.masterIndex !== null ? (byIndex.get(l.masterIndex) ?? null) : null;
    const iface = interfaceOf(
      l,
      master,
      features,
      input.drivers?.get(l.ifindex) ?? null,
      vmIndex,
      ovsIndex?.get(l.name),
    );
    // The datapath's own device (ovs-system; ovs-netdev, a tap, on the userspace datapath) is plumbing, never a VM port.
    if (ovsIndex && isOvsDatapathDevice(l.name)) {
      iface.role = 'other';
      iface.vm = null;
    }
    interfaces.push(iface);
  }
  const obs: Observation = { takenAt: input.takenAt ?? new Date().toISOString(), backend: input.backend, interfaces };
  if (input.ovs) obs.ovsBridges = bridgeSummaries(input.ovs);
  return obs;
}

const NO_VMS = emptyVmIndex();

/** One link as an Interface: `master` is its master's link (null: none, or not in this namespace). */
export function interfaceOf(
  l: LinkInfo,
  master: LinkInfo | null,
  features: FeatureMap,
  driver: DriverInfo | null,
  vmIndex: VmIndex = NO_VMS,
  ovs?: OvsPortFacts,
): Interface {
  const hint = vmHintFromName(l.name);
  if (ovs) {
    // An OVS interface: OVSDB's bridge is its master (the kernel says ovs-system or nothing), the
    // bridge's own internal port is the bridge and has none.
    return {
      ifindex: l.ifindex,
      name: l.name,
      kind: l.kind,
      role: ovsRole(l, ovs, hint),
      master: ovs.port === ovs.bridge && ovs.type === 'internal' ? null : ovs.bridge,
      driver: driver?.driver ?? null,
      mtu: l.mtu,
      operstate: l.operstate,
      vm: ovsVm(ovs, vmIndex.byIfname.get(l.name) ?? null, hint),
      features,
      ovs: {
        bridge: ovs.bridge,
        port: ovs.port,
        type: ovs.type,
        datapathType: ovs.datapathType,
        externalIds: ovs.externalIds,
      },
    };
  }
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
