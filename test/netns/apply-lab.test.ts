import { after, before, test } from 'node:test';
import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import { createNetns, deleteNetns, ipBatch, nsRunOk, uniquePrefix } from '../../src/lab/netns.js';
import { run } from '../../src/kernel/exec.js';
import type { ApplyReport, RestoreReport, SnapshotSummary } from '../../src/apply/types.js';
import type { Plan } from '../../src/plan/types.js';
import { CLI, cli as runCli, skipReason, tmpDir } from './helpers/cli.js';
import { diff, isTsoGso, oracleAll, type State } from './helpers/oracle.js';

/**
 * apply → audit → restore on a lab-like KVM host in a namespace: a bridge with a veth "uplink"
 * (its wire in a second namespace), taps with vnet_hdr (VM ports as QEMU creates them), a tap
 * without vnet_hdr, a Xen-style veth, and a veth outside any bridge. Oracle: `ethtool --json -k`.
 * Runs the whole cycle with each kernel backend.
 */
const skip = skipReason();
let ns = '';
let wire = '';

const TOPOLOGY = [
  'link add br0 type bridge',
  'link add uplink0 type veth peer name wire0',
  'link set uplink0 master br0',
  'tuntap add mode tap vnet_hdr name tap100i0',
  'tuntap add mode tap vnet_hdr name vnet3',
  'tuntap add mode tap name tap101i0',
  'link set tap100i0 master br0',
  'link set vnet3 master br0',
  'link set tap101i0 master br0',
  'link add vif3.0 type veth peer name vif3.0-emu',
  'link set vif3.0 master br0',
  'link add veth9 type veth peer name veth9p',
  'link set br0 up',
  'link set uplink0 up',
  'link set vif3.0 up',
];

before(async () => {
  if (skip) return;
  const prefix = uniquePrefix('apl');
  ns = await createNetns(`${prefix}hv`);
  wire = await createNetns(`${prefix}w`);
  await ipBatch(ns, TOPOLOGY);
  await nsRunOk(ns, ['ip', 'link', 'set', 'wire0', 'netns', wire]);
});

after(async () => {
  if (ns) await deleteNetns(ns);
  if (wire) await deleteNetns(wire);
});

function cli(args: readonly string[]) {
  return runCli(['--netns', ns, ...args]);
}

for (const backend of ['netlink', 'ethtool'] as const) {
  test(`${backend}: apply tso-gso-off turns off exactly the changeable TSO/GSO bits; audit 0; restore gives back everything`, {
    skip,
  }, async () => {
    const state = tmpDir('apply-lab');
    try {
      const original = await oracleAll(ns);
      assert.ok(Object.keys(original).length >= 10);

      // plan: changes planned (exit 1), as ethtool -K commands, bridge last.
      const pl = await cli(['--backend', backend, 'plan']);
      assert.equal(pl.code, 1, pl.stderr);
      const cmds = pl.stdout.split('\n').filter((l) => l.startsWith('ethtool -K '));
      assert.equal(cmds.at(-1)!.split(' ')[2], 'br0', 'the bridge after its ports');
      assert.ok(!cmds.some((l) => l.split(' ')[2] === 'lo'));

      const ap = await cli(['--backend', backend, 'apply', '--yes', '--state-dir', state.dir, '--json']);
      assert.equal(ap.code, 0, ap.stderr);
      const report = JSON.parse(ap.stdout) as ApplyReport;
      assert.equal(report.status, 'applied');
      assert.equal(report.counts.failed, 0);
      assert.ok(report.snapshot);

      const now = await oracleAll(ns);
      for (const [ifname, fs] of Object.entries(now)) {
        if (ifname === 'lo') continue;
        for (const [f, st] of Object.entries(fs)) {
          if (!isTsoGso(f) || st.fixed) continue;
          assert.equal(st.active, false, `${ifname} ${f} active`);
          assert.equal(st.requested, false, `${ifname} ${f} requested`);
        }
      }
      // Nothing else changed: every other feature of every interface (lo entirely) as before.
      assert.deepEqual(
        diff(original, now, (ifname, f) => ifname === 'lo' || !isTsoGso(f)),
        [],
      );
      // Fixed TSO/GSO bits were not touched either.
      assert.deepEqual(
        diff(original, now, (_i, f) => isTsoGso(f) && original[_i]?.[f]?.fixed === true),
        [],
      );

      const audit = await cli(['--backend', backend, 'audit']);
      assert.equal(audit.code, 0, audit.stdout + audit.stderr);

      // Again: nothing to do, exit 0, no new snapshot.
      const again = await cli(['--backend', backend, 'apply', '--yes', '--state-dir', state.dir, '--json']);
      assert.equal(again.code, 0, again.stderr);
      assert.equal((JSON.parse(again.stdout) as ApplyReport).status, 'nothing-to-do');
      const pl2 = await cli(['plan', '--json']);
      assert.equal(pl2.code, 0);
      assert.deepEqual((JSON.parse(pl2.stdout) as Plan).changes, []);

      const rs = await cli(['--backend', backend, 'restore', '--last', '--yes', '--state-dir', state.dir, '--json']);
      assert.equal(rs.code, 0, rs.stdout + rs.stderr);
      const rr = JSON.parse(rs.stdout) as RestoreReport;
      assert.equal(rr.ok, true);
      assert.equal(rr.snapshot, report.snapshot);
      const restored: State = await oracleAll(ns);
      assert.deepEqual(diff(original, restored), [], 'requested and active of every feature on every interface');

      const snaps = await cli(['snapshots', '--state-dir', state.dir, '--json']);
      const list = JSON.parse(snaps.stdout) as SnapshotSummary[];
      assert.equal(list.length, 1);
      assert.equal(list[0]!.status, 'restored');
      assert.equal(list[0]!.netns, ns);
      assert.equal(list[0]!.interfaces, report.counts.changed);
    } finally {
      state.remove();
    }
  });
}

test('apply without --yes and without a terminal: exit 2, nothing changed', { skip }, async () => {
  const state = tmpDir('apply-lab');
  try {
    const before = await oracleAll(ns);
    const r = await cli(['apply', '--state-dir', state.dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--yes/);
    assert.deepEqual(diff(before, await oracleAll(ns)), []);
    const rs = await cli(['restore', '--last', '--state-dir', state.dir]);
    assert.equal(rs.code, 2);
  } finally {
    state.remove();
  }
});

test('--dry-run and --interface: the plan only, limited to the named interfaces', { skip }, async () => {
  const state = tmpDir('apply-lab');
  try {
    const before = await oracleAll(ns);
    const r = await cli(['apply', '--dry-run', '--interface', 'tap*', '--state-dir', state.dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const p = (JSON.parse(r.stdout) as { plan: Plan }).plan;
    assert.deepEqual(p.changes.map((c) => c.ifname).sort(), ['tap100i0', 'tap101i0']);
    assert.deepEqual(diff(before, await oracleAll(ns)), []);
    const list = await cli(['snapshots', '--state-dir', state.dir]);
    assert.match(list.stdout, /no snapshots/);
  } finally {
    state.remove();
  }
});

test('restore refuses a snapshot taken in another namespace (exit 2)', { skip }, async () => {
  const state = tmpDir('apply-lab');
  try {
    const ap = await cli(['apply', '--yes', '--interface', 'veth9', '--state-dir', state.dir, '--json']);
    assert.equal(ap.code, 0, ap.stderr);
    const id = (JSON.parse(ap.stdout) as ApplyReport).snapshot!;
    const other = await run([process.execPath, CLI, '--netns', wire, 'restore', id, '--yes', '--state-dir', state.dir]);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /taken in network namespace/);
    const rs = await cli(['restore', id, '--yes', '--state-dir', state.dir]);
    assert.equal(rs.code, 0, rs.stdout + rs.stderr);
  } finally {
    state.remove();
  }
});

test('tso-gso-sg-off: SG off takes TSO/GSO along; restore gives back requested and active exactly', {
  skip,
}, async () => {
  const state = tmpDir('apply-lab');
  try {
    const original = await oracleAll(ns);
    const ap = await cli(['apply', '--profile', 'tso-gso-sg-off', '--yes', '--state-dir', state.dir, '--json']);
    assert.equal(ap.code, 0, ap.stderr);
    const now = await oracleAll(ns);
    for (const [ifname, fs] of Object.entries(now)) {
      if (ifname === 'lo') continue;
      for (const [f, st] of Object.entries(fs)) {
        if ((isTsoGso(f) || f.startsWith('tx-scatter-gather')) && !st.fixed)
          assert.equal(st.requested, false, `${ifname} ${f}`);
      }
    }
    // offloads-on plans SG back on, and TSO/GSO with it where the policy wants them.
    const back = await cli(['plan', '--profile', 'offloads-on', '--json']);
    const p = JSON.parse(back.stdout) as Plan;
    assert.ok(p.changes.every((c) => c.set['tx-scatter-gather'] !== false));
    const rs = await cli(['restore', '--last', '--yes', '--state-dir', state.dir]);
    assert.equal(rs.code, 0, rs.stdout + rs.stderr);
    assert.deepEqual(diff(original, await oracleAll(ns)), []);
  } finally {
    state.remove();
  }
});

const noScript = skip || (existsSync('/usr/bin/script') ? false : 'needs script(1) (util-linux) for a terminal');
test('interactive (a terminal via script(1)): shows the plan and asks; "n" changes nothing, "y" applies', {
  skip: noScript,
}, async () => {
  const state = tmpDir('apply-lab');
  try {
    const original = await oracleAll(ns);
    const command = [process.execPath, CLI, '--netns', ns, 'apply', '--interface', 'veth9', '--state-dir', state.dir]
      .map((w) => `'${w.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    const no = await run(['script', '-qec', command, '/dev/null'], { input: 'n\n', timeoutMs: 60_000 });
    assert.equal(no.code, 1, no.stdout);
    assert.match(no.stdout, /ethtool -K veth9 /);
    assert.match(no.stdout, /\[y\/N\]/);
    assert.deepEqual(diff(original, await oracleAll(ns)), []);
    const yes = await run(['script', '-qec', command, '/dev/null'], { input: 'y\n', timeoutMs: 60_000 });
    assert.equal(yes.code, 0, yes.stdout);
    assert.match(yes.stdout, /1 changed/);
    const rs = await cli(['restore', '--last', '--yes', '--state-dir', state.dir]);
    assert.equal(rs.code, 0);
    assert.deepEqual(diff(original, await oracleAll(ns)), []);
  } finally {
    state.remove();
  }
});
