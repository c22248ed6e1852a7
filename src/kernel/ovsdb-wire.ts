/** OVSDB's wire shapes that src/kernel/ovsdb.ts reads (RFC 7047); src/ovs maps them to a topology. */

/** One OVSDB table's rows with their columns as OVSDB's JSON wire values (RFC 7047 §5.1). */
export type OvsdbRow = Record<string, unknown>;

/** The three tables the topology is built from, rows still in wire format. */
export interface OvsdbTables {
  Bridge: OvsdbRow[];
  Port: OvsdbRow[];
  Interface: OvsdbRow[];
}

/** Columns read from each table (a select's `columns`, or `ovsdb-client dump` column arguments). */
export const OVSDB_COLUMNS: Record<keyof OvsdbTables, readonly string[]> = {
  Bridge: ['_uuid', 'name', 'datapath_type', 'ports', 'external_ids'],
  Port: ['_uuid', 'name', 'interfaces', 'bond_mode', 'external_ids'],
  Interface: ['_uuid', 'name', 'type', 'ifindex', 'mtu', 'mac_in_use', 'external_ids', 'options'],
};
