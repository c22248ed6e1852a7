import type { FeatureMap, Interface, Role } from '../model/types.js';
import type { Snapshot, SnapshotInterface } from './types.js';

/**
 * Snapshot bitmaps and the snapshot file (STATE_DIR/snapshots/ID.json), format version 2:
 *
 *   { "version": 2, "id", "createdAt", "policy", "netns", "netnsId", "netnsHost",
 *     "features": ["tx-scatter-gather", "tx-tcp-segmentation", ...],
 *     "interfaces": [{ "name", "ifindex", "role", "master", "stage",
 *                      "recorded": "ff7f3", "requested": "3b1f1", "active": "3b1f1" }] }
 *
 * The feature names once; per interface three bitmaps over that table as hex strings. Bit i is
 * features[i]; hex digit k holds bits 4k..4k+3 (bit 4k = 1), so a string reads in table order.
 * The file is the in-memory Snapshot as it is. For 1000 veths it is ~130 KiB; format 1 (a name →
 * bool map per interface, ~1.6 MiB) cost more to build, serialise and parse than the kernel calls
 * it protects. Format 1 files are still read (converted).
 */
export const SNAPSHOT_FORMAT = 2;

const HEX = '0123456789abcdef';

/** Builds the interfaces of one snapshot over a shared feature table. */
export class SnapshotRecorder {
  private readonly index = new Map<string, number>();
  readonly features: string[] = [];
  // One nibble per byte, reused: grows with the table.
  private rec = new Uint8Array(16);
  private req = new Uint8Array(16);
  private act = new Uint8Array(16);
  /**
   * The netlink dump shares one frozen FeatureMap among devices in the same state: its bitmaps
   * once (1000 veths: one walk over 64 features instead of 1000). The table can only have grown
   * since, by features this map lacks: its bits are unchanged, finish() pads the strings.
   */
  private readonly byMap = new WeakMap<FeatureMap, { recorded: string; requested: string; active: string }>();

  /** Record the changeable features of an interface (e.g. its features before apply). */
  record(
    i: Pick<Interface, 'name' | 'ifindex' | 'role' | 'master'>,
    features: FeatureMap,
    stage: number,
  ): SnapshotInterface {
    const known = this.byMap.get(features);
    if (known) return { name: i.name, ifindex: i.ifindex, role: i.role, master: i.master, stage, ...known };
    this.rec.fill(0);
    this.req.fill(0);
    this.act.fill(0);
    for (const f in features) {
      const st = features[f]!;
      if (st.fixed) continue;
      let b = this.index.get(f);
      if (b === undefined) {
        b = this.features.length;
        this.index.set(f, b);
        this.features.push(f);
        if (b >> 2 >= this.rec.length) this.grow();
      }
      const k = b >> 2;
      const bit = 1 << (b & 3);
      this.rec[k]! |= bit;
      if (st.requested) this.req[k]! |= bit;
      if (st.active) this.act[k]! |= bit;
    }
    const bitmaps = this.bitmaps();
    if (Object.isFrozen(features)) this.byMap.set(features, bitmaps);
    return { name: i.name, ifindex: i.ifindex, role: i.role, master: i.master, stage, ...bitmaps };
  }

  /**
   * Bitmaps are padded to the final table's length when the snapshot is finished: an interface
   * recorded early has shorter strings until then.
   */
  finish(interfaces: SnapshotInterface[]): void {
    const digits = (this.features.length + 3) >> 2;
    for (const s of interfaces) {
      if (s.recorded.length === digits) continue;
      s.recorded = s.recorded.padEnd(digits, '0');
      s.requested = s.requested.padEnd(digits, '0');
      s.active = s.active.padEnd(digits, '0');
    }
  }

  private bitmaps(): { recorded: string; requested: string; active: string } {
    const n = (this.features.length + 3) >> 2;
    return { recorded: hex(this.rec, n), requested: hex(this.req, n), active: hex(this.act, n) };
  }

  private grow(): void {
    const g = (a: Uint8Array) => {
      const b = new Uint8Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.rec = g(this.rec);
    this.req = g(this.req);
    this.act = g(this.act);
  }
}

/** One recorded feature of a snapshot interface. */
export interface RecordedFeature {
  name: string;
  requested: boolean;
  active: boolean;
}

/** The recorded features of one interface of `snapshot`, in table order. */
export function recordedFeatures(snapshot: Pick<Snapshot, 'features'>, s: SnapshotInterface): RecordedFeature[] {
  const out: RecordedFeature[] = [];
  for (let k = 0; k < s.recorded.length; k++) {
    const rec = nibble(s.recorded, k);
    if (rec === 0) continue;
    const req = nibble(s.requested, k);
    const act = nibble(s.active, k);
    for (let j = 0; j < 4; j++) {
      const bit = 1 << j;
      if (rec & bit)
        out.push({ name: snapshot.features[(k << 2) + j]!, requested: (req & bit) !== 0, active: (act & bit) !== 0 });
    }
  }
  return out;
}

/** Snapshot → the file's text. */
export function encodeSnapshot(s: Snapshot): string {
  return JSON.stringify(s);
}

/**
 * The file's text → Snapshot (format 2, or format 1 converted). Throws an Error saying what is
 * wrong; the store adds the path.
 */
export function decodeSnapshot(text: string): Snapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON (truncated?): ${(e as Error).message}`);
  }
  if (!isObject(raw)) throw new Error('not an offloadctl snapshot (not a JSON object)');
  if (raw.version === 1) {
    checkHead(raw);
    return fromFormat1(checkFormat1(raw));
  }
  if (raw.version !== SNAPSHOT_FORMAT) {
    throw new Error(
      typeof raw.version === 'number'
        ? `snapshot format version ${raw.version}, this offloadctl reads versions 1 and ${SNAPSHOT_FORMAT}`
        : 'not an offloadctl snapshot (no format version)',
    );
  }
  checkHead(raw);
  if (!Array.isArray(raw.features) || !raw.features.every((x) => typeof x === 'string' && x.length > 0)) {
    throw new Error('features: expected an array of feature names');
  }
  if (new Set(raw.features).size !== raw.features.length) throw new Error('features: a name appears twice');
  if (!Array.isArray(raw.interfaces)) throw new Error('interfaces: expected an array');
  const digits = (raw.features.length + 3) >> 2;
  // Interfaces alike have the same bitmaps: each distinct string is checked once.
  const good = new Set<string>();
  raw.interfaces.forEach((i: unknown, k: number) => {
    checkInterface(i, k);
    for (const m of ['recorded', 'requested', 'active'] as const) {
      const v = i[m];
      if (typeof v === 'string' && good.has(v)) continue;
      if (typeof v !== 'string' || v.length !== digits || !/^[0-9a-f]*$/.test(v)) {
        throw new Error(
          `interfaces[${k}] ${i.name}: bad feature bitmap ${JSON.stringify(v)} (${m}: expected ${digits} hex digits)`,
        );
      }
      good.add(v);
    }
  });
  return raw as unknown as Snapshot;
}

// Every field is type-checked: a snapshot is trusted to change the kernel, and a wrong type must
// be a clear "corrupt" message, never a stack trace further down.
type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const ROLE_NAMES: Record<Role, true> = {
  loopback: true,
  bridge: true,
  'vm-port': true,
  uplink: true,
  bond: true,
  vlan: true,
  veth: true,
  physical: true,
  tunnel: true,
  firewall: true,
  other: true,
};
const ROLES: ReadonlySet<string> = new Set(Object.keys(ROLE_NAMES));

function checkHead(raw: Obj): void {
  for (const k of ['id', 'createdAt', 'policy'] as const) {
    if (typeof raw[k] !== 'string' || raw[k] === '')
      throw new Error(`${k}: expected a non-empty string, got ${JSON.stringify(raw[k])}`);
  }
  const name = (v: unknown) => typeof v === 'string' && v !== '';
  if (raw.netns !== null && !name(raw.netns)) throw new Error('netns: expected a name or null');
  if (raw.netnsId !== undefined && raw.netnsId !== null && !name(raw.netnsId))
    throw new Error('netnsId: expected a string or null');
  if (raw.netnsHost !== undefined && raw.netnsHost !== null && typeof raw.netnsHost !== 'boolean') {
    throw new Error('netnsHost: expected true, false or null');
  }
}

function checkInterface(i: unknown, k: number): asserts i is Obj {
  if (!isObject(i)) throw new Error(`interfaces[${k}]: expected an object`);
  const where = `interfaces[${k}]`;
  // IFNAMSIZ: 15 characters, no '/' or whitespace (dev_valid_name).
  if (typeof i.name !== 'string' || !/^[^\s/:]{1,15}$/.test(i.name))
    throw new Error(`${where}: bad interface name ${JSON.stringify(i.name)}`);
  if (!Number.isInteger(i.ifindex) || (i.ifindex as number) < 1)
    throw new Error(`${where} (${i.name}): bad ifindex ${JSON.stringify(i.ifindex)}`);
  if (!Number.isInteger(i.stage) || (i.stage as number) < 0 || (i.stage as number) > 64)
    throw new Error(`${where} (${i.name}): bad stage ${JSON.stringify(i.stage)}`);
  if (typeof i.role !== 'string' || !ROLES.has(i.role))
    throw new Error(`${where} (${i.name}): bad role ${JSON.stringify(i.role)}`);
  if (i.master !== null && (typeof i.master !== 'string' || i.master === ''))
    throw new Error(`${where} (${i.name}): master: expected a name or null`);
}

function checkFormat1(raw: Obj): Format1 {
  if (!Array.isArray(raw.interfaces)) throw new Error('interfaces: expected an array');
  raw.interfaces.forEach((i: unknown, k: number) => {
    checkInterface(i, k);
    for (const m of ['requested', 'active'] as const) {
      const v = i[m];
      if (!isObject(v) || !Object.values(v).every((b) => typeof b === 'boolean')) {
        throw new Error(`interfaces[${k}] (${i.name}): ${m}: expected feature → true/false`);
      }
    }
  });
  return raw as unknown as Format1;
}

/** Format 1: a name → bool map of requested and of active bits per interface. */
interface Format1 extends Omit<Snapshot, 'version' | 'features' | 'interfaces'> {
  version: 1;
  interfaces: (Omit<SnapshotInterface, 'recorded' | 'requested' | 'active'> & {
    requested: Record<string, boolean>;
    active: Record<string, boolean>;
  })[];
}

function fromFormat1(raw: Format1): Snapshot {
  if (!Array.isArray(raw.interfaces)) throw new Error('not an offloadctl snapshot (no interfaces)');
  const r = new SnapshotRecorder();
  const interfaces = raw.interfaces.map((i) => {
    const features: FeatureMap = {};
    for (const [f, v] of Object.entries(i.requested ?? {}))
      features[f] = { requested: v, active: i.active?.[f] ?? false, fixed: false };
    return r.record(i, features, i.stage);
  });
  r.finish(interfaces);
  const { interfaces: _i, version: _v, ...head } = raw;
  return { ...head, version: SNAPSHOT_FORMAT, features: r.features, interfaces };
}

function hex(nibbles: Uint8Array, n: number): string {
  let s = '';
  for (let k = 0; k < n; k++) s += HEX[nibbles[k]!];
  return s;
}

function nibble(s: string, k: number): number {
  const c = s.charCodeAt(k);
  return c <= 57 ? c - 48 : c - 87; // '0'-'9', 'a'-'f' (checked by decodeSnapshot)
}
