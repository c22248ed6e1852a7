import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirstChangeRecord, agentRecordDir } from '../../../src/apply/first-change-record.js';
import { agentSnapshot, markAgentRestored } from '../../../src/apply/agent-snapshots.js';
import { decodeSnapshot, recordedFeatures, SnapshotRecorder } from '../../../src/apply/snapshot-codec.js';
import { currentNetns, SnapshotStore } from '../../../src/apply/store.js';
import type { FeatureMap } from '../../../src/model/types.js';

const on = { requested: true, active: true, fixed: false };
const off = { requested: false, active: false, fixed: false };
const feats = (tso: boolean): FeatureMap => ({
  'tx-tcp-segmentation': tso ? on : off,
  'rx-gro': on,
  'tx-lockless': { requested: true, active: true, fixed: true },
});
const iface = (name: string, ifindex: number) => ({ name, ifindex, role: 'vm-port' as const, master: null });
const tso = (snap: NonNullable<ReturnType<typeof agentSnapshot>>['snapshot'], name: string) =>
  recordedFeatures(snap, snap.interfaces.find((i) => i.name === name)!).find((f) => f.name === 'tx-tcp-segmentation')!
    .requested;

test('the agent records each interface once, before its first change, as snapshot lines of its run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'olc-first-'));
  try {
    const rec = new FirstChangeRecord(dir);
    assert.ok(rec.record([{ iface: iface('tap0', 10), features: feats(true), stage: 0 }], 'agent: tso-gso-off'));
    // tap0 again (a later drift fix): not recorded again; tap1 is new
    assert.ok(
      rec.record(
        [
          { iface: iface('tap0', 10), features: feats(false), stage: 0 },
          { iface: iface('tap1', 11), features: feats(true), stage: 0 },
        ],
        'agent: tso-gso-off',
      ),
    );
    assert.equal(
      rec.record([{ iface: iface('tap1', 11), features: feats(false), stage: 0 }], 'agent: tso-gso-off'),
      null,
    );
    rec.close();
    const lines = readFileSync(rec.path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => decodeSnapshot(l));
    assert.deepEqual(
      lines.map((s) => s.interfaces.map((i) => i.name)),
      [['tap0'], ['tap1']],
    );
    assert.equal(lines[0]!.by, 'agent');
    assert.deepEqual(
      recordedFeatures(lines[0]!, lines[0]!.interfaces[0]!).map((f) => `${f.name}=${f.requested}`),
      ['tx-tcp-segmentation=true', 'rx-gro=true'],
      'fixed features are not recorded',
    );
    const store = new SnapshotStore(dir);
    assert.deepEqual(store.ids(), [], 'not an apply snapshot: `snapshots` and restore --last do not see it');
    assert.equal(store.last(currentNetns()), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a batch whose interfaces share one (interned) feature map is written as SnapshotRecorder writes it, each time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'olc-first-'));
  try {
    const rec = new FirstChangeRecord(dir);
    const shared = Object.freeze(feats(true));
    const batch = (from: number, n: number) =>
      [...Array(n).keys()].map((k) => ({ iface: iface(`tap${from + k}`, from + k), features: shared, stage: k % 2 }));
    // the same map twice (the second from the cache), then a batch of two different maps
    rec.record(batch(0, 3), 'p');
    rec.record(batch(3, 2), 'p');
    rec.record(
      [
        { iface: iface('tap5', 5), features: shared, stage: 0 },
        { iface: iface('tap6', 6), features: feats(false), stage: 0 },
      ],
      'p',
    );
    rec.close();
    const lines = readFileSync(rec.path, 'utf8').trim().split('\n');
    const expected = (changes: ReturnType<typeof batch>) => {
      const r = new SnapshotRecorder();
      const interfaces = changes.map((c) => r.record(c.iface, c.features, c.stage));
      r.finish(interfaces);
      return { features: r.features, interfaces };
    };
    for (const [i, changes] of [batch(0, 3), batch(3, 2)].entries()) {
      const got = JSON.parse(lines[i]!) as { features: unknown; interfaces: unknown };
      // the same text, key order included (restore --agent and people read these lines)
      assert.equal(JSON.stringify(got.features), JSON.stringify(expected(changes).features));
      assert.equal(JSON.stringify(got.interfaces), JSON.stringify(expected(changes).interfaces));
    }
    const mixed = decodeSnapshot(lines[2]!);
    assert.deepEqual(
      mixed.interfaces.map((i) => recordedFeatures(mixed, i).find((f) => f.name === 'tx-tcp-segmentation')!.requested),
      [true, false],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('restore --agent: per interface the oldest record not restored yet, of this namespace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'olc-agentsnap-'));
  try {
    const store = new SnapshotStore(dir);
    const first = new FirstChangeRecord(dir);
    first.record([{ iface: iface('tap0', 10), features: feats(true), stage: 0 }], 'agent: tso-gso-off');
    first.close();
    nextMillisecond(); // run ids sort by time (ms); a restart is never within the same ms
    // a restarted agent finds tap0 as the first one left it, and a new tap2
    const second = new FirstChangeRecord(dir);
    second.record(
      [
        { iface: iface('tap0', 10), features: feats(false), stage: 0 },
        { iface: iface('tap2', 12), features: feats(true), stage: 0 },
      ],
      'agent: tso-gso-off',
    );
    appendFileSync(second.path, '{"version":2,"id":"torn'); // a crash mid-line
    const merged = agentSnapshot(store, currentNetns())!;
    assert.equal(merged.sources.length, 2);
    assert.deepEqual(
      merged.snapshot.interfaces.map((i) => i.name),
      ['tap0', 'tap2'],
    );
    assert.equal(tso(merged.snapshot, 'tap0'), true, 'the state before the first agent');
    assert.equal(
      agentSnapshot(store, { name: 'elsewhere', id: 'net:[1]', host: false }),
      null,
      "another namespace's records are not this one's",
    );
    markAgentRestored(merged.sources);
    assert.equal(agentSnapshot(store, currentNetns()), null, 'restored: nothing left');
    // the second agent still runs and changes tap3: only that is left to restore
    second.record([{ iface: iface('tap3', 13), features: feats(true), stage: 0 }], 'agent: tso-gso-off');
    second.close();
    assert.deepEqual(
      agentSnapshot(store, currentNetns())!.snapshot.interfaces.map((i) => i.name),
      ['tap3'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a system state directory keeps the agent records on tmpfs (/run/NAME/agent); restore --agent reads both places', () => {
  assert.equal(agentRecordDir('/var/lib/offloadctl'), '/run/offloadctl/agent');
  assert.equal(agentRecordDir('/var/lib/offloadctl-netns-lab/'), '/run/offloadctl-netns-lab/agent');
  assert.equal(agentRecordDir('/srv/olc'), '/srv/olc/snapshots', 'elsewhere: in the state directory');
  const dir = mkdtempSync(join(tmpdir(), 'olc-agentsnap-'));
  try {
    const runDir = join(dir, 'run', 'agent');
    const older = new FirstChangeRecord(dir); // in STATE_DIR/snapshots (a previous version's place)
    older.record([{ iface: iface('tap0', 10), features: feats(true), stage: 0 }], 'agent: tso-gso-off');
    older.close();
    nextMillisecond();
    const newer = new FirstChangeRecord(dir, runDir);
    newer.record(
      [
        { iface: iface('tap0', 10), features: feats(false), stage: 0 },
        { iface: iface('tap1', 11), features: feats(true), stage: 0 },
      ],
      'agent: tso-gso-off',
    );
    newer.close();
    assert.ok(newer.path.startsWith(runDir));
    const merged = agentSnapshot(new SnapshotStore(dir), currentNetns(), runDir)!;
    assert.equal(merged.sources.length, 2);
    assert.deepEqual(
      merged.snapshot.interfaces.map((i) => i.name),
      ['tap0', 'tap1'],
    );
    assert.equal(tso(merged.snapshot, 'tap0'), true, 'the oldest record wins, whichever directory holds it');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Wait until the clock's millisecond changes: record runs are ordered by their start time. */
function nextMillisecond(): void {
  const t = Date.now() + 2;
  while (Date.now() < t) {
    /* spin: a couple of ms */
  }
}
