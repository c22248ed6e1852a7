import { defaultOvsdbSocket, readOvsdbTables, watchOvsdb, type OvsdbWatch } from '../kernel/ovsdb.js';
import { topologyFromTables } from '../ovs/wire.js';
import { ovsPortIndex, type OvsPortFacts } from '../ovs/ports.js';
import type { OvsTopology } from '../ovs/types.js';
import type { LinkInfo } from '../model/types.js';

/** What the OVS view needs of the agent: its log, the links it knows, and the work queue to mark. */
export interface OvsViewHost {
  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
  readonly cache: { readonly links: ReadonlyMap<number, LinkInfo> };
  readonly queue: { mark(ifindex: number): void };
}

/**
 * The agent's cached view of Open vSwitch: read at start, re-read whenever OVSDB reports a change
 * (a `monitor` on the socket), so a new OVS VM port gets its bridge, role and VM from OVSDB. A port is
 * usually created (tap: RTM_NEWLINK) before ovs-vsctl adds it to a bridge, and on the userspace
 * datapath the kernel never hears of the addition: so every link whose OVS facts changed is marked
 * for reconciliation when the view changes, whichever comes first.
 */
export interface OvsView {
  topology: OvsTopology | null;
  /** Kernel name → facts (not filtered by ifindex: the batch's buildObservation checks that). */
  index: Map<string, OvsPortFacts>;
  close(): void;
}

export async function startOvsView(ctx: OvsViewHost, socket: string | null | undefined): Promise<OvsView | null> {
  if (socket === null) return null;
  const path = socket ?? defaultOvsdbSocket();
  const view: OvsView = { topology: null, index: new Map(), close: () => watch?.close() };
  let reading: Promise<void> | null = null;
  let again = false;
  const refresh = async (): Promise<void> => {
    let tables;
    try {
      tables = await readOvsdbTables(path);
    } catch (e) {
      ctx.log('warn', 'ovsdb read failed; keeping the last OVS view', { error: (e as Error).message });
      return;
    }
    const topology = tables ? topologyFromTables(tables) : null;
    const index = topology ? ovsPortIndex(topology) : new Map<string, OvsPortFacts>();
    const changed = new Set<string>();
    for (const [name, f] of index) if (JSON.stringify(view.index.get(name)) !== JSON.stringify(f)) changed.add(name);
    for (const name of view.index.keys()) if (!index.has(name)) changed.add(name);
    const hadTopology = view.topology !== null;
    view.topology = topology;
    view.index = index;
    if (changed.size === 0 && hadTopology === (topology !== null)) return;
    ctx.log('debug', 'ovs view changed', { interfaces: changed.size });
    for (const l of ctx.cache.links.values()) {
      if (changed.has(l.name) || l.name === 'ovs-netdev' || l.name === 'ovs-system') ctx.queue.mark(l.ifindex);
    }
  };
  const onChange = () => {
    if (reading) {
      again = true;
      return;
    }
    reading = refresh().finally(() => {
      reading = null;
      if (again) {
        again = false;
        onChange();
      }
    });
  };
  await refresh();
  const watch: OvsdbWatch = watchOvsdb(path, onChange, {
    onError: (e) => ctx.log('warn', 'ovsdb monitor', { error: e.message }),
  });
  return view;
}
