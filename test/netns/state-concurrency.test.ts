import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createNetns, deleteNetns, ipBatch, nsRun, uniquePrefix } from '../../src/lab/netns.js';
import type { ApplyReport } from '../../src/apply/types.js';
import { CLI, cliIn, skipReason, tmpDir } from './helpers/cli.js';
import { diff, oracleAll, type State } from './helpers/oracle.js';

/**
 * The state directory's lock under concurrency (issue 14 item 4, issue 15 item 1), in a namespace
 * with the kernel as oracle (`ethtool --json -k`):
 * - a burst of 32 `apply --interface vnet1NN --yes` (a VM start's udev events) all succeed: they
 *   wait for the lock (--lock-timeout) instead of failing; all 32 devices compliant;
 * - the same with the command lines of the udev rule `persist --target udev` renders;
 * - two applies racing: the lock is taken before observing, so the second one's snapshot already
 *   holds the first one's change, and restoring it never undoes the other apply (8 tries).
 */
const skip = skipReason();
let ns = '';
const dirs: (() => void)[] = [];

before(async () => {
  if (skip) return;
  ns = await createNetns(`${uniquePrefix('slk')}a`);
  const lines: string[] = [];
  for (let i = 0; i < 32; i++) lines.push(`link add vnet1${String(i).padStart(2, '0')} type veth peer name pa${i}`);
  for (let i = 0; i < 32; i++) lines.push(`link add vnet2${String(i).padStart(2, '0')} type veth peer name pb${i}`);
  for (let i = 0; i < 8; i++) lines.push(`link add v${i} type veth peer name w${i}`);
  await ipBatch(ns, lines);
});

after(async () => {
  if (ns) await deleteNetns(ns);
  for (const d of dirs) d();
});

function state(): string {
  const t = tmpDir('slk');
  dirs.push(t.remove);
  return t.dir;
}

/** TSO/GSO bits requested off: what tso-gso-off asks. */
function compliant(s: State, ifname: string): boolean {
  const f = s[ifname]!;
  return ['tx-tcp-segmentation', 'tx-tcp6-segmentation', 'tx-generic-segmentation'].every(
    (k) => f[k] && (f[k]!.fixed || !f[k]!.requested),
  );
}

test('32 concurrent `apply --interface vnet1NN --yes`: all exit 0, all 32 compliant (ethtool --json -k)', {
  skip,
  timeout: 300_000,
}, async () => {
  const dir = state();
  const names = Array.from({ length: 32 }, (_, i) => `vnet1${String(i).padStart(2, '0')}`);
  const before = await oracleAll(ns);
  assert.ok(
    names.every((n) => !compliant(before, n)),
    'veths start with TSO/GSO on',
  );
  const runs = await Promise.all(names.map((n) => cliIn(ns, ['apply', '--interface', n, '--yes', '--state-dir', dir])));
  const bad = runs.map((r, i) => [names[i], r] as const).filter(([, r]) => r.code !== 0);
  assert.deepEqual(
    bad.map(([n, r]) => `${n}: exit ${r.code}: ${r.stderr.trim()}`),
    [],
  );
  const after = await oracleAll(ns);
  assert.deepEqual(
    names.filter((n) => !compliant(after, n)),
    [],
    'every device compliant',
  );
  // Nothing else moved.
  assert.deepEqual(
    diff(before, after, (i) => !names.includes(i)),
    [],
  );
});

test("the udev rule's RUN commands for 32 new ports, run in parallel: all exit 0, all compliant", {
  skip,
  timeout: 300_000,
}, async () => {
  const dir = state();
  const root = state();
  const p = await cliIn(ns, ['persist', '--target', 'udev', '--root', root, '--offloadctl-path', CLI]);
  assert.equal(p.code, 0, p.stderr);
  const rules = readFileSync(`${root}/etc/udev/rules.d/90-offloadctl-vm-ports.rules`, 'utf8');
  const line = rules.split('\n').find((l) => l.startsWith('KERNEL=="vnet*"'));
  assert.ok(line, rules);
  const run = /RUN\+="([^"]*)"/.exec(line!)![1]!;
  assert.doesNotMatch(rules, /\/dev\/null|\|\| true/, 'nothing swallowed');
  const names = Array.from({ length: 32 }, (_, i) => `vnet2${String(i).padStart(2, '0')}`);
  // udev substitutes $kernel and splits RUN on spaces; the test keeps the state and policy in its temp dirs.
  const argv = (n: string) =>
    run
      .split(' ')
      .map((w) => (w === '$kernel' ? n : w.startsWith('/etc/offloadctl/') ? root + w : w))
      .concat('--state-dir', dir);
  const runs = await Promise.all(
    names.map((n) =>
      nsRun(ns, [process.execPath, ...argv(n)], { env: { ...process.env, OFFLOADCTL_NETNS: ns }, timeoutMs: 240_000 }),
    ),
  );
  assert.deepEqual(
    runs.map((r, i) => (r.code === 0 ? '' : `${names[i]}: exit ${r.code}: ${r.stderr.trim()}`)).filter(Boolean),
    [],
  );
  const after = await oracleAll(ns);
  assert.deepEqual(
    names.filter((n) => !compliant(after, n)),
    [],
  );
});

test('two applies racing (8 tries): restoring the newer snapshot never undoes the other apply', {
  skip,
  timeout: 300_000,
}, async () => {
  const vs = Array.from({ length: 8 }, (_, i) => `v${i}`);
  const original = await oracleAll(ns);
  for (let attempt = 0; attempt < 8; attempt++) {
    const dir = state();
    const [a, b] = await Promise.all([
      cliIn(ns, ['apply', '--profile', 'tso-gso-sg-off', '--interface', 'v*', '--yes', '--json', '--state-dir', dir]),
      cliIn(ns, ['apply', '--profile', 'tso-gso-off', '--interface', 'v*', '--yes', '--json', '--state-dir', dir]),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const ra = JSON.parse(a.stdout) as ApplyReport;
    const rb = JSON.parse(b.stdout) as ApplyReport;
    const snaps = [ra, rb].filter((r) => r.snapshot).sort((x, y) => (x.snapshot! < y.snapshot! ? -1 : 1));
    const older = snaps[0]!;
    const newer = snaps.at(-1)!;
    if (snaps.length === 2) {
      const rs = await cliIn(ns, ['restore', newer.snapshot!, '--yes', '--state-dir', dir]);
      assert.equal(rs.code, 0, rs.stderr);
      const now = await oracleAll(ns);
      // The older apply's change survives the newer one's restore.
      for (const v of vs) {
        assert.equal(
          now[v]!['tx-tcp-segmentation']!.requested,
          false,
          `try ${attempt}: ${v} TSO (set by both) stays as the older apply left it`,
        );
        if (older.policy === 'tso-gso-sg-off') {
          assert.equal(
            now[v]!['tx-scatter-gather']!.requested,
            false,
            `try ${attempt}: ${v} scatter-gather back on: the restore undid the older apply`,
          );
        }
      }
    }
    const back = await cliIn(ns, ['restore', older.snapshot!, '--yes', '--state-dir', dir]);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(diff(original, await oracleAll(ns)), [], `try ${attempt}: both undone`);
  }
});
