import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lockStateDir } from '../../../src/apply/lock.js';
import { OffloadError } from '../../../src/model/errors.js';

/**
 * The state directory's lock is a kernel flock: oracles are the kernel's lock table (/proc/locks)
 * and util-linux flock(1) run from outside, never the code's own words.
 */

function tmp(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'olc-lock-test-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** /proc/locks entries on the file's inode: granted locks and blocked waiters. */
function kernelLocks(path: string): { granted: number; waiting: number } {
  const ino = statSync(path).ino;
  let granted = 0;
  let waiting = 0;
  for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    const blocked = f[1] === '->';
    const dev = f[blocked ? 6 : 5];
    if (!dev || Number(dev.split(':')[2]) !== ino || !line.includes('FLOCK')) continue;
    if (blocked) waiting++;
    else granted++;
  }
  return { granted, waiting };
}

/** Can someone else take the lock right now? (flock -n exits 1 when it is held.) */
const freeFromOutside = (path: string) => spawnSync('flock', ['-n', path, 'true']).status === 0;

test('the lock is a kernel flock: held until released, visible in /proc/locks; a second taker waits or fails (exit 3)', async () => {
  const t = tmp();
  try {
    const dir = join(t.dir, 'state');
    const release = await lockStateDir(dir, { timeoutSeconds: 0 });
    const path = join(dir, 'lock');
    assert.equal(statSync(dir).mode & 0o777, 0o700, 'the state directory is created 0700');
    assert.deepEqual(kernelLocks(path), { granted: 1, waiting: 0 });
    assert.equal(freeFromOutside(path), false, 'flock(1) from outside cannot take it');
    // Another taker without waiting: one line, exit 3, names the holder.
    await assert.rejects(
      lockStateDir(dir, { timeoutSeconds: 0 }),
      (e) => e instanceof OffloadError && e.exitCode === 3 && new RegExp(`pid ${process.pid}`).test(e.message),
    );
    // With a timeout it waits, says so once, and gets the lock when the holder lets go.
    let told = 0;
    const waiting = lockStateDir(dir, { timeoutSeconds: 60, onWait: () => told++ });
    setTimeout(release, 300);
    const release2 = await waiting;
    assert.equal(told, 1);
    assert.deepEqual(kernelLocks(path), { granted: 1, waiting: 0 });
    release2();
    assert.deepEqual(kernelLocks(path), { granted: 0, waiting: 0 });
    assert.equal(freeFromOutside(path), true);
    // A bounded wait gives up: exit 3, says how long it waited.
    const r3 = await lockStateDir(dir, { timeoutSeconds: 0 });
    await assert.rejects(
      lockStateDir(dir, { timeoutSeconds: 1 }),
      (e) => e instanceof OffloadError && e.exitCode === 3 && /waiting 1 s/.test(e.message),
    );
    r3();
  } finally {
    t.done();
  }
});

test('stale-lock takeover: kill -9 the holder 20 times, never two holders (kernel /proc/locks as oracle)', {
  timeout: 180_000,
}, async () => {
  const t = tmp();
  const holder = fileURLToPath(new URL('./lock-holder.ts', import.meta.url));
  const procs = new Set<ChildProcess>();
  try {
    const dir = join(t.dir, 'state');
    const path = join(dir, 'lock');
    (await lockStateDir(dir, { timeoutSeconds: 0 }))(); // create it
    const acquired: { child: ChildProcess; at: number }[] = [];
    let current: ChildProcess | null = null;
    let currentKilled = true;
    const violations: string[] = [];
    const start = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', holder, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      procs.add(child);
      child.on('exit', () => procs.delete(child));
      child.stdout!.on('data', (b: Buffer) => {
        if (!b.toString().includes('acquired')) return;
        if (!currentKilled)
          violations.push(`pid ${child.pid} acquired while pid ${current?.pid} held the lock and was not killed`);
        current = child;
        currentKilled = false;
        acquired.push({ child, at: Date.now() });
      });
    };
    for (let i = 0; i < 4; i++) start();
    const waitFor = async (n: number) => {
      for (let i = 0; i < 1200 && acquired.length < n; i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(acquired.length >= n, `takeover ${n} happened within 60 s`);
    };
    for (let round = 1; round <= 20; round++) {
      await waitFor(round);
      const locks = kernelLocks(path);
      assert.equal(locks.granted, 1, `round ${round}: exactly one granted flock in /proc/locks`);
      assert.equal(freeFromOutside(path), false);
      const victim = current!;
      currentKilled = true;
      victim.kill('SIGKILL');
      start(); // keep contenders queued
    }
    await waitFor(21);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(violations, []);
    assert.equal(acquired.length, 21, 'one acquisition per kill, plus the first');
    assert.equal(kernelLocks(path).granted, 1);
  } finally {
    for (const p of procs) p.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    t.done();
  }
});
