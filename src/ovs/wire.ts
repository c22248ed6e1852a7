import type { OvsBridge, OvsInterface, OvsPort, OvsTopology, OvsdbRow, OvsdbTables } from './types.js';

/**
 * OVSDB's JSON value notation (RFC 7047 §5.1): atoms are JSON scalars or ["uuid", "…"] /
 * ["named-uuid", "…"]; a set is ["set", [atom…]] unless it has exactly one element, which is the bare
 * atom; a map is ["map", [[key, value]…]]. An optional column (min 0, max 1) is an empty set when unset.
 */

export function atom(v: unknown): unknown {
  if (Array.isArray(v) && (v[0] === 'uuid' || v[0] === 'named-uuid') && typeof v[1] === 'string') return v[1];
  return v;
}

/** Elements of a set column (a bare atom is a one-element set). */
export function setOf(v: unknown): unknown[] {
  if (Array.isArray(v) && v[0] === 'set' && Array.isArray(v[1])) return (v[1] as unknown[]).map(atom);
  if (v === undefined || v === null) return [];
  return [atom(v)];
}

export function mapOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v) && v[0] === 'map' && Array.isArray(v[1])) {
    for (const pair of v[1] as unknown[]) {
      if (Array.isArray(pair) && pair.length === 2) out[String(atom(pair[0]))] = String(atom(pair[1]));
    }
  }
  return out;
}

function str(v: unknown): string {
  const s = setOf(v);
  return s.length === 0 ? '' : String(s[0]);
}

function optionalInt(v: unknown): number | null {
  const s = setOf(v);
  const n = s.length === 0 ? null : Number(s[0]);
  return n !== null && Number.isInteger(n) && n > 0 ? n : null;
}

function optionalStr(v: unknown): string | null {
  const s = setOf(v);
  return s.length === 0 ? null : String(s[0]);
}

/** Bridge → Port → Interface from the three tables' rows; dangling references are dropped. */
export function topologyFromTables(t: OvsdbTables): OvsTopology {
  const ifaces = new Map<string, OvsInterface>();
  for (const r of t.Interface) {
    const i: OvsInterface = {
      uuid: String(atom(r._uuid)),
      name: str(r.name),
      type: str(r.type),
      ifindex: optionalInt(r.ifindex),
      mtu: optionalInt(r.mtu),
      macInUse: optionalStr(r.mac_in_use)?.toLowerCase() ?? null,
      externalIds: mapOf(r.external_ids),
      options: mapOf(r.options),
    };
    ifaces.set(i.uuid, i);
  }
  const ports = new Map<string, OvsPort>();
  for (const r of t.Port) {
    const p: OvsPort = {
      uuid: String(atom(r._uuid)),
      name: str(r.name),
      interfaces: setOf(r.interfaces).flatMap((u) => ifaces.get(String(u)) ?? []),
      bondMode: optionalStr(r.bond_mode),
      externalIds: mapOf(r.external_ids),
    };
    ports.set(p.uuid, p);
  }
  const bridges: OvsBridge[] = t.Bridge.map((r: OvsdbRow) => ({
    uuid: String(atom(r._uuid)),
    name: str(r.name),
    datapathType: str(r.datapath_type),
    ports: setOf(r.ports)
      .flatMap((u) => ports.get(String(u)) ?? [])
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    externalIds: mapOf(r.external_ids),
  }));
  bridges.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { bridges };
}

/**
 * `ovsdb-client dump --format=json [DB [TABLE [COLUMN…]]]` output: one JSON object per table and line,
 * `{"caption":"Bridge table","headings":[column…],"data":[[value…]…]}` → rows keyed by column.
 */
export function parseOvsdbDump(text: string): OvsdbTables {
  const out: OvsdbTables = { Bridge: [], Port: [], Interface: [] };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const t = JSON.parse(line) as { caption?: string; headings?: string[]; data?: unknown[][] };
    const table = /^(\S+) table$/.exec(t.caption ?? '')?.[1];
    if (table !== 'Bridge' && table !== 'Port' && table !== 'Interface') continue;
    const headings = t.headings ?? [];
    for (const row of t.data ?? []) {
      const r: OvsdbRow = {};
      headings.forEach((h, i) => (r[h] = row[i]));
      out[table].push(r);
    }
  }
  return out;
}
