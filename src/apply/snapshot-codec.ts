import type { FeatureMap, Interface } from '../model/types.js';
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

  /** Record the changeable features of an interface (e.g. its features before apply). */
  record(i: Pick<Interface, 'name' | 'ifindex' | 'role' | 'master'>, features: FeatureMap, stage: number): SnapshotInterface {
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
    return { name: i.name, ifindex: i.ifindex, role: i.role, master: i.master, stage, ...this.bitmaps() };
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
      if (rec & bit) out.push({ name: snapshot.features[(k << 2) + j]!, requested: (req & bit) !== 0, active: (act & bit) !== 0 });
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
  const raw = JSON.parse(text) as { version?: unknown; interfaces?: unknown; features?: unknown };
  if (raw?.version === 1) return fromFormat1(raw as unknown as Format1);
  if (raw?.version !== SNAPSHOT_FORMAT) {
    throw new Error(
      typeof raw?.version === 'number'
        ? `snapshot format version ${raw.version}, this offloadctl reads versions 1 and ${SNAPSHOT_FORMAT}`
        : 'not an offloadctl snapshot (no format version)',
    );
  }
  const f = raw as Snapshot;
  if (!Array.isArray(f.features) || !f.features.every((x) => typeof x === 'string') || !Array.isArray(f.interfaces)) {
    throw new Error('not an offloadctl snapshot (features or interfaces missing)');
  }
  const digits = (f.features.length + 3) >> 2;
  for (const i of f.interfaces) {
    for (const m of [i.recorded, i.requested, i.active]) {
      if (typeof m !== 'string' || m.length !== digits || !/^[0-9a-f]*$/.test(m)) {
        throw new Error(`${i.name}: bad feature bitmap ${JSON.stringify(m)} (expected ${digits} hex digits)`);
      }
    }
  }
  return f;
}

/** Format 1: a name → bool map of requested and of active bits per interface. */
interface Format1 extends Omit<Snapshot, 'version' | 'features' | 'interfaces'> {
  version: 1;
  interfaces: (Omit<SnapshotInterface, 'recorded' | 'requested' | 'active'> & { requested: Record<string, boolean>; active: Record<string, boolean> })[];
}

function fromFormat1(raw: Format1): Snapshot {
  if (!Array.isArray(raw.interfaces)) throw new Error('not an offloadctl snapshot (no interfaces)');
  const r = new SnapshotRecorder();
  const interfaces = raw.interfaces.map((i) => {
    const features: FeatureMap = {};
    for (const [f, v] of Object.entries(i.requested ?? {})) features[f] = { requested: v, active: i.active?.[f] ?? false, fixed: false };
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
