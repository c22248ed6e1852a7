import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirstChangeRecord } from '../../../src/apply/first-change-record.js';
import { agentSnapshot } from '../../../src/apply/agent-snapshots.js';
import { recordedFeatures } from '../../../src/apply/snapshot-codec.js';
import { currentNetns, SnapshotStore } from '../../../src/apply/store.js';
import type { FeatureMap } from '../../../src/model/types.js';

const on = { requested: true, active: true, fixed: false };
const off = { requested: false, active: false, fixed: false };
const feats = (tso: boolean): FeatureMap => ({ 'tx-tcp-segmentation': tso ? on : off, 'rx-gro': on, 'tx-lockless': { requested: true, active: true, fixed: true } });
const iface = (name: string, ifindex: number) => ({ name, ifindex, role: 'vm-port' as const, master: null });

test('the agent records each interface once, before its first change, in the snapshot store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'olc-first-'));
  try {
    const rec = new FirstChangeRecord(dir);
    const a = rec.record([{ iface: iface('tap0', 10), features: feats(true), stage: 0 }], 'agent: tso-gso-off');
    assert.ok(a);
    // tap0 again (a later drift fix): not recorded again; tap1 is new
    const b = rec.record([{ iface: iface('tap0', 10), features: feats(false), stage: 0 }, { iface: iface('tap1', 11), features: feats(true), stage: 0 }], 'agent: tso-gso-off');
    assert.ok(b);
    assert.equal(rec.record([{ iface: iface('tap1', 11), features: feats(false), stage: 0 }], 'agent: tso-gso-off'), null);
    const store = new SnapshotStore(dir);
    assert.deepEqual(store.ids(), [a, b].sort());
    const sa = store.read(a!);
    assert.equal(sa.by, 'agent');
    assert.deepEqual(sa.interfaces.map((i) => i.name), ['tap0']);
    assert.deepEqual(recordedFeatures(sa, sa.interfaces[0]!).map((f) => `${f.name}=${f.requested}`), ['tx-tcp-segmentation=true', 'rx-gro=true'], 'fixed features are not recorded');
    assert.deepEqual(store.read(b!).interfaces.map((i) => i.name), ['tap1']);
    assert.equal(store.summary(a!).status, 'applied');
    assert.equal(store.last(currentNetns()), null, 'restore --last is for apply snapshots only');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('restore --agent: per interface the oldest unrestored record of this namespace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'olc-agentsnap-'));
  try {
    const first = new FirstChangeRecord(dir);
    first.record([{ iface: iface('tap0', 10), features: feats(true), stage: 0 }], 'agent: tso-gso-off');
    // a restarted agent finds tap0 as the first one left it, and a new tap2
    const second = new FirstChangeRecord(dir);
    const later = second.record([{ iface: iface('tap0', 10), features: feats(false), stage: 0 }, { iface: iface('tap2', 12), features: feats(true), stage: 0 }], 'agent: tso-gso-off')!;
    const store = new SnapshotStore(dir);
    const merged = agentSnapshot(store, currentNetns())!;
    assert.equal(merged.sources.length, 2);
    const byName = new Map(merged.snapshot.interfaces.map((i) => [i.name, recordedFeatures(merged.snapshot, i)]));
    assert.deepEqual([...byName.keys()], ['tap0', 'tap2']);
    assert.equal(byName.get('tap0')!.find((f) => f.name === 'tx-tcp-segmentation')!.requested, true, 'the state before the first agent');
    // another namespace's agent snapshots are not this namespace's
    assert.equal(agentSnapshot(store, { name: 'elsewhere', id: 'net:[1]', host: false }), null);
    // restored ones are done
    for (const id of merged.sources) {
      const j = store.journal(id);
      j.append({ op: 'restored', at: new Date().toISOString() });
      j.close();
    }
    assert.equal(agentSnapshot(store, currentNetns()), null);
    assert.equal(store.summary(later).status, 'restored');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
