import type { FeatureMap, Interface } from '../model/types.js';

/**
 * `status --json` text, byte for byte what `JSON.stringify(statusJson(ifs), null, 2) + '\n'` gives,
 * built from precomputed pieces: with 2000 interfaces × 64 features the generic stringify of ~15 MB
 * dominated the command's run time. Each feature entry is one of 8 strings (3 booleans) per name.
 */

const I = (n: number) => ' '.repeat(n);
const pieceCache = new Map<string, string[]>();

/** The 8 pretty-printed variants of one feature entry at the fixed depth used in the document. */
function pieces(name: string): string[] {
  let p = pieceCache.get(name);
  if (!p) {
    const key = JSON.stringify(name);
    p = [];
    for (let bits = 0; bits < 8; bits++) {
      const a = (bits & 4) !== 0;
      const r = (bits & 2) !== 0;
      const f = (bits & 1) !== 0;
      p.push(`${I(8)}${key}: {\n${I(10)}"active": ${a},\n${I(10)}"requested": ${r},\n${I(10)}"fixed": ${f}\n${I(8)}}`);
    }
    pieceCache.set(name, p);
  }
  return p;
}

const CODE = 'abcdefgh';

/**
 * Devices of one kind share their feature states (1000 veths look alike), so the text of a feature
 * map is cached by its signature: the names (compared by list) and one letter per feature state.
 */
function featuresTextCached(): (fm: FeatureMap) => Buffer {
  let lastKeys: string[] = [];
  let byState = new Map<string, Buffer>();
  // The netlink backend's dump hands out one frozen FeatureMap per distinct state (interned):
  // the same object, the same text, without reading its 64 entries again.
  const byMap = new WeakMap<FeatureMap, Buffer>();
  return (fm) => {
    const known = byMap.get(fm);
    if (known !== undefined) return known;
    const text = featuresText(fm);
    if (Object.isFrozen(fm)) byMap.set(fm, text);
    return text;
  };
  function featuresText(fm: FeatureMap): Buffer {
    const keys = Object.keys(fm);
    if (keys.length !== lastKeys.length || keys.some((k, i) => k !== lastKeys[i])) {
      lastKeys = keys;
      byState = new Map();
    }
    let sig = '';
    const codes: number[] = new Array(keys.length);
    // Object.values is one native call in key order; per-key lookups (fm[name]) are keyed loads on a
    // 64-property object, several times slower before the JIT has warmed up.
    const states = Object.values(fm);
    for (let i = 0; i < states.length; i++) {
      const st = states[i]!;
      const c = (st.active ? 4 : 0) | (st.requested ? 2 : 0) | (st.fixed ? 1 : 0);
      codes[i] = c;
      sig += CODE[c];
    }
    let text = byState.get(sig);
    if (text === undefined) {
      const parts = keys.map((k, i) => pieces(k)[codes[i]!]!);
      text = Buffer.from(parts.length ? `{\n${parts.join(',\n')}\n${I(6)}}` : '{}');
      byState.set(sig, text);
    }
    return text;
  }
}

function value(v: unknown, depth: number): string {
  // Scalars and the small vm object: the generic path is exact and cheap here.
  return JSON.stringify(v, null, 2).replace(/\n/g, `\n${I(depth)}`);
}

/**
 * The document as a list of Buffers to write in order (one writev): per interface a short header,
 * written into one shared header buffer, and its features text, the shared cached Buffer itself —
 * no 15–40 MB string to flatten and re-encode, and no document-sized buffer to fill (at 5000
 * interfaces its page faults and copy were a third of the command's cost above `node`).
 */
export function statusJsonChunks(interfaces: readonly Interface[]): Buffer[] {
  if (interfaces.length === 0) return [Buffer.from('{\n  "interfaces": []\n}\n')];
  const featuresText = featuresTextCached();
  let buf = Buffer.allocUnsafe(Math.max(1 << 12, interfaces.length * 320));
  let off = 0;
  let mark = 0;
  const chunks: Buffer[] = [];
  const put = (str: string) => {
    const n = Buffer.byteLength(str);
    if (off + n > buf.length) {
      if (off > mark) chunks.push(buf.subarray(mark, off));
      buf = Buffer.allocUnsafe(Math.max(n, buf.length));
      off = mark = 0;
    }
    off += buf.write(str, off);
  };
  put('{\n  "interfaces": [\n');
  for (let n = 0; n < interfaces.length; n++) {
    const i = interfaces[n]!;
    const vm = i.vm ? { platform: i.vm.platform, id: i.vm.id, name: i.vm.name, nic: i.vm.nic } : null;
    put(
      (n === 0 ? '' : `\n${I(4)}},\n`) +
        `${I(4)}{\n` +
        `${I(6)}"name": ${JSON.stringify(i.name)},\n` +
        `${I(6)}"ifindex": ${JSON.stringify(i.ifindex)},\n` +
        `${I(6)}"kind": ${JSON.stringify(i.kind)},\n` +
        `${I(6)}"role": ${JSON.stringify(i.role)},\n` +
        `${I(6)}"master": ${JSON.stringify(i.master)},\n` +
        `${I(6)}"driver": ${JSON.stringify(i.driver)},\n` +
        `${I(6)}"mtu": ${JSON.stringify(i.mtu)},\n` +
        `${I(6)}"operstate": ${JSON.stringify(i.operstate)},\n` +
        `${I(6)}"vm": ${vm === null ? 'null' : value(vm, 6)},\n` +
        `${I(6)}"features": `,
    );
    chunks.push(buf.subarray(mark, off));
    mark = off;
    chunks.push(featuresText(i.features));
    // OVS interfaces only: their bridge, port, type and external_ids (src/ovs).
    if (i.ovs) put(`,\n${I(6)}"ovs": ${value(ovsJson(i.ovs), 6)}`);
  }
  put(`\n${I(4)}}\n  ]\n}\n`);
  chunks.push(buf.subarray(mark, off));
  return chunks;
}

/** The same document as one Buffer. */
export function statusJsonBuffer(interfaces: readonly Interface[]): Buffer {
  return Buffer.concat(statusJsonChunks(interfaces));
}

/** The `ovs` object of status --json, keys in documented order. */
export function ovsJson(o: NonNullable<Interface['ovs']>): Record<string, unknown> {
  return { bridge: o.bridge, port: o.port, type: o.type, datapathType: o.datapathType, externalIds: o.externalIds };
}

export function statusJsonText(interfaces: readonly Interface[]): string {
  return statusJsonBuffer(interfaces).toString('utf8');
}
