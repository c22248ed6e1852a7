import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SnapshotRecorder,
  decodeSnapshot,
  encodeSnapshot,
  recordedFeatures,
} from '../../../src/apply/snapshot-codec.js';
import type { Snapshot } from '../../../src/apply/types.js';
import type { FeatureMap } from '../../../src/model/types.js';

const NAMES = [
  'tx-scatter-gather',
  'tx-tcp-segmentation',
  'tx-tcp6-segmentation',
  'tx-generic-segmentation',
  'rx-gro',
  'tx-checksum-ip-generic',
];

/** Interfaces with different feature sets (a tap has others than a veth), fixed ones, varying bits. */
function featuresOf(i: number): FeatureMap {
  const fm: FeatureMap = {};
  for (let f = 0; f < NAMES.length; f++) {
    if ((i + f) % 4 === 3) continue;
    fm[NAMES[f]!] = { requested: (i >> f) % 2 === 0, active: (i >> f) % 2 === 0 && f !== 2, fixed: (i + f) % 7 === 0 };
  }
  if (i % 5 === 0) fm[`vendor-feature-${i}`] = { requested: true, active: false, fixed: false };
  return fm;
}

function build(n: number): { snap: Snapshot; fms: FeatureMap[] } {
  const r = new SnapshotRecorder();
  const fms = Array.from({ length: n }, (_, i) => featuresOf(i));
  const interfaces = fms.map((fm, i) =>
    r.record({ name: `v${i}`, ifindex: i + 2, role: 'veth', master: i % 3 ? 'br0' : null }, fm, i % 2),
  );
  r.finish(interfaces);
  const snap: Snapshot = {
    version: 2,
    id: '20261125-120000-000-aaaa',
    createdAt: '2026-11-25T12:00:00.000Z',
    policy: 'tso-gso-off',
    netns: 'x',
    netnsId: 'net:[1]',
    netnsHost: false,
    features: r.features,
    interfaces,
  };
  return { snap, fms };
}

/** What a snapshot interface must say: every changeable feature with its bits, no fixed one. */
function expected(fm: FeatureMap) {
  return Object.entries(fm)
    .filter(([, st]) => !st.fixed)
    .map(([name, st]) => ({ name, requested: st.requested, active: st.active }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
const byName = (l: { name: string }[]) => [...l].sort((a, b) => a.name.localeCompare(b.name));

test('snapshot recorder: every changeable feature with its requested and active bit, fixed ones left out', () => {
  for (const n of [0, 1, 7, 40]) {
    const { snap, fms } = build(n);
    snap.interfaces.forEach((s, i) => assert.deepEqual(byName(recordedFeatures(snap, s)), expected(fms[i]!), s.name));
    // Bitmaps all have the final table's length (early interfaces are padded).
    const digits = Math.ceil(snap.features.length / 4);
    for (const s of snap.interfaces)
      for (const m of [s.recorded, s.requested, s.active]) assert.equal(m.length, digits);
  }
});

test('snapshot codec: encode → decode is the identity; the file holds the table once and hex bitmaps', () => {
  const { snap } = build(12);
  const text = encodeSnapshot(snap);
  assert.deepEqual(decodeSnapshot(text), snap);
  const file = JSON.parse(text);
  assert.equal(file.version, 2);
  // Table in first-seen order: v0's recorded features are bits 0.. ; hex digit 0 holds bits 0-3.
  const v0 = recordedFeatures(snap, snap.interfaces[0]!).map((r) => r.name);
  assert.deepEqual(snap.features.slice(0, v0.length), v0);
  assert.match(file.interfaces[0].recorded, /^[0-9a-f]+$/);
  assert.equal(parseInt(file.interfaces[0].recorded[0], 16), v0.length >= 4 ? 15 : (1 << v0.length) - 1);
});

test('snapshot codec: a format 1 file (name → bool maps) is read and converted', () => {
  const v1 = {
    version: 1,
    id: 'a',
    createdAt: 'c',
    policy: 'p',
    netns: null,
    interfaces: [
      {
        name: 'v0',
        ifindex: 2,
        role: 'veth',
        master: null,
        stage: 0,
        requested: { a: true, b: false },
        active: { a: false, b: false },
      },
      { name: 'br0', ifindex: 3, role: 'bridge', master: null, stage: 1, requested: { c: true }, active: { c: true } },
    ],
  };
  const s = decodeSnapshot(JSON.stringify(v1));
  assert.equal(s.version, 2);
  assert.deepEqual(s.features, ['a', 'b', 'c']);
  assert.deepEqual(recordedFeatures(s, s.interfaces[0]!), [
    { name: 'a', requested: true, active: false },
    { name: 'b', requested: false, active: false },
  ]);
  assert.deepEqual(recordedFeatures(s, s.interfaces[1]!), [{ name: 'c', requested: true, active: true }]);
  assert.deepEqual(
    s.interfaces.map((i) => [i.name, i.stage, i.role]),
    [
      ['v0', 0, 'veth'],
      ['br0', 1, 'bridge'],
    ],
  );
});

test('snapshot codec: unknown versions and damaged bitmaps are refused with a reason', () => {
  assert.throws(
    () => decodeSnapshot('{"version":3,"interfaces":[]}'),
    /format version 3, this offloadctl reads versions 1 and 2/,
  );
  assert.throws(() => decodeSnapshot('{"interfaces":[]}'), /no format version/);
  const file = JSON.parse(encodeSnapshot(build(2).snap));
  file.interfaces[1].requested = 'zz';
  assert.throws(() => decodeSnapshot(JSON.stringify(file)), /v1: bad feature bitmap "zz"/);
  assert.throws(
    () =>
      decodeSnapshot('{"version":2,"id":"a","createdAt":"c","policy":"p","netns":null,"features":[1],"interfaces":[]}'),
    /features: expected an array of feature names/,
  );
});

test('snapshot codec: every field is type-checked; truncated or wrong-typed files give a reason, never a TypeError', (t) => {
  const good = JSON.parse(encodeSnapshot(build(3).snap)) as Record<string, unknown> & {
    interfaces: Record<string, unknown>[];
  };
  const text = JSON.stringify(good);
  let cases = 0;
  const refused = (t: string, label: string) => {
    cases++;
    assert.throws(
      () => decodeSnapshot(t),
      (e: unknown) => e instanceof Error && e.constructor === Error && e.message.length > 0,
      label,
    );
  };
  for (let n = 0; n < text.length; n += 7) refused(text.slice(0, n), `truncated at ${n}`);
  const wrong: unknown[] = [null, 1, -1, 1.5, '', 'x', true, [], {}, [1], { a: 1 }];
  for (const k of ['id', 'createdAt', 'policy', 'netns', 'netnsId', 'netnsHost', 'features', 'interfaces']) {
    for (const w of wrong) {
      const f = structuredClone(good);
      f[k] = w;
      let ok = false;
      try {
        decodeSnapshot(JSON.stringify(f));
        ok = true;
      } catch (e) {
        cases++;
        assert.equal((e as Error).constructor, Error, `${k}=${JSON.stringify(w)}: ${(e as Error).message}`);
      }
      // Accepted only where the type allows it (a nullable string / boolean, or an empty list).
      if (ok)
        assert.ok(
          (w === null && ['netns', 'netnsId', 'netnsHost'].includes(k)) ||
            (typeof w === 'string' && w !== '' && ['id', 'createdAt', 'policy', 'netns', 'netnsId'].includes(k)) ||
            (w === true && k === 'netnsHost') ||
            (Array.isArray(w) && w.length === 0 && k === 'interfaces'),
          `${k}=${JSON.stringify(w)} accepted`,
        );
    }
  }
  for (const k of ['name', 'ifindex', 'role', 'master', 'stage', 'recorded', 'requested', 'active']) {
    for (const w of [...wrong, 0, 'x'.repeat(16), 'a/b']) {
      const f = structuredClone(good);
      f.interfaces[1]![k] = w;
      try {
        decodeSnapshot(JSON.stringify(f));
        const allowed =
          (k === 'master' && (w === null || (typeof w === 'string' && w !== ''))) ||
          (k === 'name' && w === 'x') ||
          ((k === 'stage' || k === 'ifindex') && Number.isInteger(w) && (w as number) >= (k === 'stage' ? 0 : 1));
        assert.ok(allowed, `${k}=${JSON.stringify(w)} accepted`);
      } catch (e) {
        cases++;
        assert.equal((e as Error).constructor, Error, `${k}=${JSON.stringify(w)}: ${(e as Error).message}`);
      }
    }
  }
  refused('[]', 'array');
  refused('null', 'null');
  refused(
    '{"version":1,"id":"a","createdAt":"c","policy":"p","netns":null,"interfaces":[{"name":"x","ifindex":2,"role":"veth","master":null,"stage":0,"requested":{"a":"yes"},"active":{}}]}',
    'format 1 wrong type',
  );
  assert.ok(cases > 200, `${cases} corrupt cases`);
  t.diagnostic(`${cases} corrupt snapshot cases refused with a reason`);
});

test('snapshot codec: 1000 interfaces of 60 features are ~10x smaller than name → bool maps', () => {
  const feats = Array.from({ length: 60 }, (_, i) => `tx-some-long-kernel-feature-name-${i}`);
  const r = new SnapshotRecorder();
  const maps: unknown[] = [];
  const interfaces = Array.from({ length: 1000 }, (_, i) => {
    const fm: FeatureMap = Object.fromEntries(
      feats.map((f, k) => [f, { requested: (i + k) % 3 === 0, active: (i + k) % 2 === 0, fixed: false }]),
    );
    maps.push({
      requested: Object.fromEntries(feats.map((f) => [f, fm[f]!.requested])),
      active: Object.fromEntries(feats.map((f) => [f, fm[f]!.active])),
    });
    return r.record({ name: `veth${i}`, ifindex: i + 2, role: 'veth', master: null }, fm, 0);
  });
  r.finish(interfaces);
  const text = encodeSnapshot({
    version: 2,
    id: 'x',
    createdAt: 'y',
    policy: 'p',
    netns: null,
    features: r.features,
    interfaces,
  });
  const v1 = JSON.stringify(maps).length;
  assert.ok(text.length * 8 < v1, `${text.length} bytes, format 1: ${v1}`);
});

test('SnapshotRecorder: a shared frozen feature map recorded again (table grown in between) = recorded afresh', () => {
  const st = (active: boolean, requested: boolean, fixed = false) => ({ active, requested, fixed });
  const shared: FeatureMap = Object.freeze({ a: st(true, true), b: st(false, true), c: st(true, true, true) });
  const other: FeatureMap = { x: st(true, false), a: st(false, false), y: st(true, true), z: st(false, true) };
  const record = (maps: FeatureMap[]) => {
    const r = new SnapshotRecorder();
    const out = maps.map((m, n) => r.record({ name: `i${n}`, ifindex: n + 1, role: 'veth', master: null }, m, 0));
    r.finish(out);
    return { features: r.features, out };
  };
  const cached = record([shared, other, shared, other, shared]);
  const fresh = record([{ ...shared }, { ...other }, { ...shared }, { ...other }, { ...shared }]);
  assert.deepEqual(cached, fresh);
  assert.equal(cached.out[0]!.recorded.length, cached.out[4]!.recorded.length, 'padded to the final table');
});
