import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeKernel } from '../../../src/kernel/fake.js';
import { KernelError } from '../../../src/kernel/types.js';
import type { FeatureMap } from '../../../src/model/types.js';
import { OffloadError } from '../../../src/model/errors.js';
import { observeHost } from '../../../src/host/observe.js';
import { plan } from '../../../src/plan/plan.js';
import { applyPlan, verify } from '../../../src/apply/apply.js';
import { restoreSnapshot } from '../../../src/apply/restore.js';
import { recordedFeatures } from '../../../src/apply/snapshot-codec.js';
import { SnapshotStore } from '../../../src/apply/store.js';
import { TSO, TSO_GSO_OFF, bridgeFeatures, link, nicFeatures, tapFeatures, vethFeatures } from '../plan/fixtures.js';

/**
 * A fake host: br0 (3) with ports eno1 (2, NIC), tap0 (4), veth0 (5); veth9 (6) alone.
 * Rules: TSO/GSO need SG; a tap (and br0's gso-robust) keeps held bits off; br0's GSO/TSO are on only if requested and
 * some port has them on (a coarse br_features_recompute), recomputed whenever a port changes.
 */
function fakeHost(): FakeKernel {
  const ports = ['eno1', 'tap0', 'veth0'];
  const tapHeld = new Set(
    Object.entries(tapFeatures())
      .filter(([, s]) => s.requested && !s.active)
      .map(([f]) => f),
  );
  const brHeld = new Set(['tx-gso-robust']); // off [requested on] on a real bridge
  let k: FakeKernel;
  const recompute = (ifname: string, fm: FeatureMap) => {
    const held = ifname === 'tap0' ? tapHeld : ifname === 'br0' ? brHeld : null;
    for (const [f, st] of Object.entries(fm)) if (!st.fixed) st.active = st.requested && !held?.has(f);
    if (!fm['tx-scatter-gather']!.active)
      for (const f of [...TSO.slice(0, 4), 'tx-generic-segmentation']) if (!fm[f]!.fixed) fm[f]!.active = false;
  };
  const bridgeRule = () => {
    const br = k.peekFeatures('br0');
    if (!br) return;
    recompute('br0', br);
    for (const f of ['tx-generic-segmentation', 'tx-tcp-segmentation']) {
      br[f]!.active = br[f]!.requested && ports.some((p) => k.peekFeatures(p)?.[f]?.active);
    }
  };
  k = new FakeKernel({
    links: [
      link(1, 'lo', null),
      link(2, 'eno1', null, 3, true),
      link(3, 'br0', 'bridge'),
      link(4, 'tap0', 'tun', 3),
      link(5, 'veth0', 'veth', 3),
      link(6, 'veth9', 'veth'),
    ],
    features: {
      lo: vethFeatures(),
      eno1: nicFeatures(),
      br0: bridgeFeatures(),
      tap0: tapFeatures(),
      veth0: vethFeatures(),
      veth9: vethFeatures(),
    },
    drivers: { eno1: { driver: 'e1000e', busInfo: '0000:00:03.0' } },
    applyRules: (ifname, fm) => {
      recompute(ifname, fm);
      if (ports.includes(ifname) || ifname === 'br0') bridgeRule();
    },
  });
  return k;
}

function tmpStore(): { store: SnapshotStore; dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'olc-apply-test-'));
  return { store: new SnapshotStore(dir), dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

async function stateOf(k: FakeKernel): Promise<Record<string, FeatureMap>> {
  const links = await k.listLinks();
  const dump = await k.dumpFeatures();
  return Object.fromEntries(links.map((l) => [l.name, dump.get(l.ifindex)!]));
}

/** observe → desired (TSO/GSO off everywhere but lo) → plan, on the fake. */
async function planned(k: FakeKernel, values: Record<string, boolean> = TSO_GSO_OFF) {
  const observation = await observeHost(k);
  const desired = {
    policy: 'test-policy',
    interfaces: observation.interfaces
      .filter((i) => i.role !== 'loopback')
      .map((i) => ({
        ifindex: i.ifindex,
        name: i.name,
        features: Object.fromEntries(
          Object.entries(values)
            .filter(([f]) => f in i.features)
            .map(([f, v]) => [f, { value: v, rule: 'r' }]),
        ),
      })),
  };
  return { observation, desired, plan: plan(observation, desired) };
}

test('apply: snapshot first, ports before the bridge, re-observe between stages, verify', async () => {
  const k = fakeHost();
  const t = tmpStore();
  try {
    const before = await stateOf(k);
    const p = await planned(k);
    k.calls.length = 0;
    const report = await applyPlan(k, p.observation, p.desired, p.plan, { store: t.store });
    assert.equal(report.status, 'applied');
    assert.deepEqual(report.counts, { changed: 5, compliant: 0, failed: 0, vanished: 0 });
    // Snapshot on disk with the pre-apply requested bits of every touched interface.
    const snap = t.store.read(report.snapshot!);
    assert.deepEqual(
      snap.interfaces.map((s) => [s.name, s.stage]),
      [
        ['eno1', 0],
        ['tap0', 0],
        ['veth0', 0],
        ['veth9', 0],
        ['br0', 1],
      ],
    );
    for (const s of snap.interfaces) {
      const recorded = recordedFeatures(snap, s);
      for (const r of recorded) assert.equal(r.requested, before[s.name]![r.name]!.requested, `${s.name} ${r.name}`);
      for (const r of recorded) assert.equal(r.active, before[s.name]![r.name]!.active, `${s.name} ${r.name}`);
      const changeable = Object.entries(before[s.name]!)
        .filter(([, st]) => !st.fixed)
        .map(([f]) => f);
      assert.deepEqual(
        recorded.map((r) => r.name).sort(),
        changeable.sort(),
        `${s.name}: every changeable feature, no fixed one`,
      );
    }
    // Order of kernel calls: ports' SETs, a fresh dump, then br0's SET, then the verifying dump.
    const seq = k.calls
      .filter((c) => c.method === 'setFeatures' || c.method === 'dumpFeatures')
      .map((c) => ('ifname' in c ? c.ifname : c.method));
    assert.deepEqual(seq.slice(-3), ['dumpFeatures', 'br0', 'dumpFeatures']);
    assert.deepEqual(seq.slice(0, 5).sort(), ['dumpFeatures', 'eno1', 'tap0', 'veth0', 'veth9']);
    // Kernel state: every changeable TSO/GSO bit off.
    const after = await stateOf(k);
    for (const n of ['eno1', 'br0', 'tap0', 'veth0', 'veth9']) {
      for (const f of Object.keys(TSO_GSO_OFF)) {
        const st = after[n]![f];
        if (st && !st.fixed) assert.equal(st.requested, false, `${n} ${f}`);
        if (st) assert.equal(st.active, false, `${n} ${f} active`);
      }
    }
    assert.deepEqual(after.lo, before.lo, 'loopback untouched');
    // Journal: intents and dones per stage, then end.
    const ops = t.store.entries(report.snapshot!).map((e) => e.op);
    assert.deepEqual(ops, ['intent', 'done', 'intent', 'done', 'end']);
    assert.equal(t.store.summary(report.snapshot!).status, 'applied');
    // eno1 carries the physical-NIC warning through to the report.
    assert.ok(report.results.find((r) => r.ifname === 'eno1')!.warnings!.some((w) => /reset the link/.test(w)));
  } finally {
    t.done();
  }
});

test('nothing to do: no snapshot is written', async () => {
  const k = fakeHost();
  const t = tmpStore();
  try {
    const p = await planned(k, { 'tx-fcoe-segmentation': false });
    const report = await applyPlan(k, p.observation, p.desired, p.plan, { store: t.store });
    assert.equal(report.status, 'nothing-to-do');
    assert.equal(report.snapshot, null);
    assert.equal(report.counts.compliant, 5);
    assert.deepEqual(t.store.ids(), []);
  } finally {
    t.done();
  }
});

test('an interface that vanishes during apply is reported vanished, not an error', async () => {
  const k = fakeHost();
  const t = tmpStore();
  try {
    const p = await planned(k);
    k.removeLink('veth9'); // the VM stopped between observe and apply
    const report = await applyPlan(k, p.observation, p.desired, p.plan, { store: t.store });
    assert.equal(report.status, 'applied');
    assert.equal(report.results.find((r) => r.ifname === 'veth9')!.status, 'vanished');
    assert.equal(report.counts.changed, 4);
  } finally {
    t.done();
  }
});

test('a failure rolls back everything apply changed', async () => {
  const k = fakeHost();
  const t = tmpStore();
  try {
    const before = await stateOf(k);
    const p = await planned(k);
    k.failOn.add('veth0');
    const report = await applyPlan(k, p.observation, p.desired, p.plan, { store: t.store, batchSize: 2 });
    assert.equal(report.status, 'rolled-back');
    const r = report.results.find((x) => x.ifname === 'veth0')!;
    assert.equal(r.status, 'failed');
    assert.match(r.error!, /injected failure/);
    assert.ok(report.rollback);
    assert.equal(report.rollback!.ok, true);
    k.failOn.clear();
    assert.deepEqual(await stateOf(k), before, 'every feature back as it was');
    assert.equal(t.store.summary(report.snapshot!).status, 'rolled-back');
    // Batches after the failure were not attempted (br0 is in a later stage).
    assert.ok(
      !k.calls.some(
        (c) => c.method === 'setFeatures' && c.ifname === 'br0' && c.changes['tx-tcp-segmentation'] === false,
      ),
    );
  } finally {
    t.done();
  }
});

test('--keep-going keeps the other changes and reports partial', async () => {
  const k = fakeHost();
  const t = tmpStore();
  try {
    const p = await planned(k);
    k.failOn.add('veth0');
    const report = await applyPlan(k, p.observation, p.desired, p.plan, { store: t.store, keepGoing: true });
    assert.equal(report.status, 'partial');
    assert.equal(report.counts.failed, 1);
    assert.equal(report.counts.changed, 4);
    assert.equal(report.rollback, null);
    assert.equal(k.peekFeatures('veth9')!['tx-tcp-segmentation']!.requested, false);
    assert.equal(t.store.summary(report.snapshot!).status, 'partial');
  } finally {
    t.done();
  }
});

test('verification failure (kernel kept a bit) counts as failed', async () => {
  const k = fakeHost();
  const t = tmpStore();
  try {
    const p = await planned(k);
    const orig = k.applyRules!;
    k.applyRules = (ifname, fm) => {
      orig(ifname, fm);
      if (ifname === 'veth9') fm['tx-generic-segmentation']!.requested = true; // a driver refusing silently
    };
    const report = await applyPlan(k, p.observation, p.desired, p.plan, { store: t.store, keepGoing: true });
    const r = report.results.find((x) => x.ifname === 'veth9')!;
    assert.equal(r.status, 'failed');
    assert.match(r.error!, /verification: tx-generic-segmentation requested on/);
  } finally {
    t.done();
  }
});

test('a permission error is a system error (exit 3), and nothing stays changed', async () => {
  class Denied extends FakeKernel {
    override async setFeatures(): Promise<never> {
      throw new KernelError('permission-denied', 'Operation not permitted', { errno: 1 });
    }
  }
  const base = fakeHost();
  const k = new Denied({
    links: await base.listLinks(),
    features: await stateOf(base),
  });
  const t = tmpStore();
  try {
    const p = await planned(k);
    await assert.rejects(
      applyPlan(k, p.observation, p.desired, p.plan, { store: t.store }),
      (e: unknown) =>
        e instanceof OffloadError &&
        e.category === 'permission' &&
        e.exitCode === 3 &&
        /undo with `offloadctl restore \d/.test(e.message),
    );
  } finally {
    t.done();
  }
});

test('restore brings back requested and active bits exactly; a second restore finds nothing to do', async () => {
  const k = fakeHost();
  const t = tmpStore();
  try {
    const before = await stateOf(k);
    const p = await planned(k);
    const report = await applyPlan(k, p.observation, p.desired, p.plan, { store: t.store });
    const snap = t.store.read(report.snapshot!);
    const r1 = await restoreSnapshot(k, snap, t.store.entries(snap.id));
    assert.equal(r1.ok, true, JSON.stringify(r1.results.filter((r) => r.activeDiffers || r.status !== 'restored')));
    assert.equal(r1.counts.restored, 5);
    assert.ok(r1.results.every((r) => r.journaled));
    assert.deepEqual(await stateOf(k), before);
    const r2 = await restoreSnapshot(k, snap, t.store.entries(snap.id));
    assert.equal(r2.counts.unchanged, 5);
    assert.equal(r2.ok, true);
  } finally {
    t.done();
  }
});

test('crash at every point, journal tail lost: restore from the snapshot alone gives the original state', async () => {
  for (let killAt = 0; killAt <= 5; killAt++) {
    for (const dropJournalLines of [0, 1, 2, 99]) {
      const k = fakeHost();
      const t = tmpStore();
      try {
        const before = await stateOf(k);
        const p = await planned(k);
        const crash = new Error('simulated SIGKILL');
        await assert.rejects(
          applyPlan(k, p.observation, p.desired, p.plan, {
            store: t.store,
            concurrency: 1,
            batchSize: 2,
            onProgress: (n) => {
              if (n >= killAt) throw crash;
            },
          }),
          (e) => e === crash,
        );
        const id = t.store.ids()[0]!;
        assert.equal(t.store.summary(id).status, 'interrupted');
        // Lose the last journal lines, as a crash between write and fsync could.
        const jp = join(t.store.dir, `${id}.journal`);
        const lines = readFileSync(jp, 'utf8').split('\n').filter(Boolean);
        writeFileSync(
          jp,
          lines
            .slice(0, Math.max(0, lines.length - dropJournalLines))
            .map((l) => l + '\n')
            .join(''),
        );
        const r = await restoreSnapshot(k, t.store.read(id), t.store.entries(id));
        assert.equal(r.ok, true, `killAt ${killAt} drop ${dropJournalLines}`);
        assert.deepEqual(await stateOf(k), before, `killAt ${killAt} drop ${dropJournalLines}`);
      } finally {
        t.done();
      }
    }
  }
});

test('restore: a vanished interface and one replaced by a new device are reported, not touched, not fatal', async () => {
  const k = fakeHost();
  const t = tmpStore();
  try {
    const p = await planned(k);
    const report = await applyPlan(k, p.observation, p.desired, p.plan, { store: t.store });
    k.removeLink('tap0');
    const newVeth9 = vethFeatures();
    newVeth9['tx-generic-segmentation'] = { active: false, requested: false, fixed: false };
    k.removeLink('veth9');
    k.addLink(link(42, 'veth9', 'veth'), newVeth9);
    const r = await restoreSnapshot(k, t.store.read(report.snapshot!), []);
    const by = Object.fromEntries(r.results.map((x) => [x.ifname, x]));
    assert.equal(by.tap0!.status, 'vanished');
    assert.equal(by.veth9!.status, 'replaced');
    assert.equal(by.veth0!.status, 'restored');
    assert.equal(by.veth0!.journaled, false, 'journal not given: labels only');
    assert.equal(k.peekFeatures('veth9')!['tx-generic-segmentation']!.requested, false, 'the new device is left alone');
    assert.equal(r.ok, true);
  } finally {
    t.done();
  }
});

test('restore reports active bits that differ from the snapshot (not ok)', async () => {
  const k = fakeHost();
  const t = tmpStore();
  try {
    const p = await planned(k);
    const report = await applyPlan(k, p.observation, p.desired, p.plan, { store: t.store });
    const orig = k.applyRules!;
    k.applyRules = (ifname, fm) => {
      orig(ifname, fm);
      if (ifname === 'veth9') fm['tx-tcp-segmentation']!.active = false; // e.g. something holds it now
    };
    const r = await restoreSnapshot(k, t.store.read(report.snapshot!), []);
    assert.equal(r.ok, false);
    assert.deepEqual(r.results.find((x) => x.ifname === 'veth9')!.activeDiffers, ['tx-tcp-segmentation']);
  } finally {
    t.done();
  }
});

test('verify(): requested must match, features set off must be off, set on may be held', () => {
  const f = (requested: boolean, active: boolean) => ({ requested, active });
  assert.deepEqual(verify({ a: false }, { features: { a: f(false, false) } }), []);
  assert.deepEqual(verify({ a: false }, { features: { a: f(true, true) } }), ['a requested on, not off']);
  assert.deepEqual(verify({ a: false }, { features: { a: f(false, true) } }), ['a still active']);
  assert.deepEqual(verify({ a: true }, { features: { a: f(true, false) } }), []);
  assert.deepEqual(verify({ a: true }, { features: {} }), ['a missing']);
});

test('snapshot files are complete JSON, no temporary files left behind', async () => {
  const k = fakeHost();
  const t = tmpStore();
  try {
    const p = await planned(k);
    const report = await applyPlan(k, p.observation, p.desired, p.plan, { store: t.store });
    assert.deepEqual(readdirSync(t.store.dir).sort(), [`${report.snapshot}.journal`, `${report.snapshot}.json`]);
    assert.ok(existsSync(join(t.store.dir, `${report.snapshot}.json`)));
  } finally {
    t.done();
  }
});

test("setMany through a backend's setFeaturesMany: errors per device become outcomes; EPERM is a system error", async () => {
  const { setMany } = await import('../../../src/apply/execute.js');
  class Many extends FakeKernel {
    many = 0;
    async setFeaturesMany(
      items: readonly { ifname: string; changes: Record<string, boolean> }[],
    ): Promise<(KernelError | null)[]> {
      this.many++;
      return Promise.all(
        items.map(async (it) => {
          try {
            await this.setFeatures(it.ifname, it.changes);
            return null;
          } catch (e) {
            return e as KernelError;
          }
        }),
      );
    }
  }
  const base = fakeHost();
  const k = new Many({ links: await base.listLinks(), features: await stateOf(base), failOn: new Set(['veth0']) });
  k.removeLink('veth9');
  const done: string[] = [];
  const out = await setMany(
    k,
    ['tap0', 'veth0', 'veth9'].map((ifname) => ({ ifname, set: { 'tx-generic-segmentation': false } })),
    { onDone: (o) => done.push(o.ifname) },
  );
  assert.equal(k.many, 1, 'one pipelined call, no per-device fallback');
  assert.deepEqual(
    out.map((o) => (o.ok ? 'ok' : o.vanished ? 'vanished' : 'failed')),
    ['ok', 'failed', 'vanished'],
  );
  assert.deepEqual(done, ['tap0', 'veth0', 'veth9']);
  class Denied extends Many {
    override async setFeaturesMany(items: readonly { ifname: string }[]): Promise<(KernelError | null)[]> {
      return items.map(() => new KernelError('permission-denied', 'Operation not permitted', { errno: 1 }));
    }
  }
  const d = new Denied({ links: await base.listLinks(), features: await stateOf(base) });
  await assert.rejects(
    setMany(d, [{ ifname: 'tap0', set: { 'rx-gro': false } }]),
    (e) => e instanceof OffloadError && e.exitCode === 3,
  );
});
