import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../../src/lab/netns.js';
import { run } from '../../src/kernel/exec.js';
import { CLI, skipReason } from './helpers/cli.js';
import { holdPrivateTmpfs } from './helpers/private-tmpfs.js';
import { diff, oracleAll, type State } from './helpers/oracle.js';

/**
 * Test helper (not a test file) of apply-full-disk-*.test.ts.
 *
 * Full disk at every write point of apply (issue 14 item 5), 2,000 interfaces in a namespace.
 * The state directory is a small tmpfs mounted in a private mount namespace this test creates
 * (`unshare -m`, a `sleep` holding it; commands enter it with nsenter) — never on the host's mounts.
 * OFFLOADCTL_TEST_FILL_AT=N fills that tmpfs right before apply's Nth state write and fails the
 * write with ENOSPC (src/apply/durable.ts); N runs 1, 2, ... until an apply meets no fault: every
 * write point (snapshot, each intent, each done, end) is tried. Each time:
 * - apply exits 3 with one line and no stack trace, and the kernel (`ethtool --json -k`) equals the
 *   state before apply (rolled back from the snapshot in memory);
 * - `restore --last` on the still-full disk: the kernel still exact, exit 0 (recorded) or 3 with one
 *   clear line (could not record), no stack trace; `snapshots` still lists.
 */
/**
 * Registers the test for one shard of the write points (N ≡ shard mod shards), so each test file
 * stays well under a minute on a loaded machine; together the shards cover every write point.
 */
export function fullDiskShard(shard: number, shards: number): void {
  const skip = skipReason('unshare', 'nsenter');
  let ns = '';
  let original: State = {};
  let holder: ChildProcess | null = null;
  let mnt = '';

  const PAIRS = 1000;
  const BRIDGED = 200;

  before(async () => {
    if (skip) return;
    ns = await createNetns(`${uniquePrefix('afd')}a`);
    const lines = ['link add br0 type bridge'];
    for (let i = 0; i < PAIRS; i++) lines.push(`link add f${i} type veth peer name g${i}`);
    for (let i = 0; i < BRIDGED; i++) lines.push(`link set f${i} master br0`);
    await ipBatch(ns, lines);
    original = await oracleAll(ns);
    mnt = mkdtempSync(join(tmpdir(), 'olc-afd-'));
    // The private mount namespace with the tmpfs, held by a sleep we kill by PID afterwards.
    holder = await holdPrivateTmpfs(mnt, 'size=8m,mode=0700');
  });

  after(async () => {
    if (holder?.pid) holder.kill('SIGKILL');
    if (ns) await deleteNetns(ns);
    if (mnt) rmSync(mnt, { recursive: true, force: true });
  });

  /** A command inside the test's mount namespace and network namespace. */
  function inMnt(argv: string[], env: NodeJS.ProcessEnv = {}) {
    return run(['nsenter', '-t', String(holder!.pid), '-m', '--', 'ip', 'netns', 'exec', ns, ...argv], {
      env: { ...process.env, OFFLOADCTL_NETNS: ns, ...env },
      timeoutMs: 180_000,
    });
  }

  const oneLine = (s: string) => s.trim().split('\n').length === 1 && !/\n\s+at |internal error|Error:/.test(s);

  test(`full disk at write points ${shard + 1}, ${shard + 1 + shards}, ... of apply: rolled back exactly, exit 3, one line; restore on the full disk exact`, {
    skip,
    timeout: 900_000,
  }, async (t) => {
    assert.ok(Object.keys(original).length >= 2000, `${Object.keys(original).length} interfaces`);
    const state = join(mnt, 'state');
    const counts = { cases: 0, crashes: 0, stackTraces: 0, unrestorable: 0 };
    let found = 0;
    for (let n = shard + 1; n < 100; n += shards) {
      await inMnt(['sh', '-c', 'rm -rf "$1"/state', 'sh', mnt]);
      const ap = await inMnt([process.execPath, CLI, 'apply', '--yes', '--state-dir', state], {
        OFFLOADCTL_TEST_FILL_AT: String(n),
      });
      if (ap.code === 0) {
        // No write point left: this apply met no fault. Undo it and stop.
        const rs = await inMnt([process.execPath, CLI, 'restore', '--last', '--yes', '--state-dir', state]);
        assert.equal(rs.code, 0, rs.stderr);
        assert.deepEqual(diff(original, await oracleAll(ns)), []);
        assert.ok(found >= 5, `only ${found} write points found in shard ${shard}`);
        t.diagnostic(
          `shard ${shard}/${shards}: ${found} write points faulted (up to write ${n - shards}); ${JSON.stringify(counts)}`,
        );
        break;
      }
      counts.cases++;
      found++;
      if (ap.code !== 3) counts.crashes++;
      if (!oneLine(ap.stderr)) counts.stackTraces++;
      assert.equal(ap.code, 3, `write ${n}: ${ap.stderr}`);
      assert.ok(oneLine(ap.stderr), `write ${n}: one clear line: ${ap.stderr}`);
      assert.match(ap.stderr, /no space left/);
      const afterApply = diff(original, await oracleAll(ns));
      if (afterApply.length) counts.unrestorable++;
      assert.deepEqual(afterApply, [], `write ${n}: rolled back exactly (${ap.stderr.trim()})`);
      // restore on the still-full disk (snapshot written or not).
      const rs = await inMnt([process.execPath, CLI, 'restore', '--last', '--yes', '--state-dir', state]);
      assert.ok([0, 2, 3].includes(rs.code!), `write ${n}: restore exit ${rs.code}: ${rs.stderr}`);
      if (rs.code === 2) assert.match(rs.stderr, /no snapshot/, 'only when the snapshot itself could not be written');
      if (rs.code !== 0) assert.ok(oneLine(rs.stderr), `write ${n}: restore: ${rs.stderr}`);
      assert.deepEqual(diff(original, await oracleAll(ns)), [], `write ${n}: exact after restore`);
      const ls = await inMnt([process.execPath, CLI, 'snapshots', '--state-dir', state]);
      assert.equal(ls.code, 0, ls.stderr);
    }
    assert.deepEqual(
      { crashes: counts.crashes, stackTraces: counts.stackTraces, unrestorable: counts.unrestorable },
      { crashes: 0, stackTraces: 0, unrestorable: 0 },
    );
  });
}
