/**
 * The state directory's lock: what the kernel flock (src/apply/lock.ts: util-linux `flock` on a
 * descriptor we pass) costs next to the pid file it replaced (O_EXCL create + write + unlink),
 * and a burst of concurrent `apply --interface X --yes` (a VM start's udev events) in a namespace:
 * how many succeed and how long the burst takes.
 *
 *   node --import tsx bench/state-lock.ts [--repeats 41] [--burst 16] [--cli PATH]
 *
 * --cli: another build's bin/offloadctl for the burst (e.g. one built from main, for a before/after).
 *
 * Needs root for the burst (a namespace this script creates and removes) and a built CLI.
 */
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lockStateDir } from '../src/apply/lock.js';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../src/lab/netns.js';
import { run } from '../src/kernel/exec.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const repeats = arg('repeats', 41);
const burst = arg('burst', 16);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const dir = mkdtempSync(join(tmpdir(), 'olc-bench-lock-'));
try {
  const pidFile: number[] = [];
  const flock: number[] = [];
  for (let i = 0; i < repeats; i++) {
    let t0 = performance.now();
    const fd = openSync(join(dir, 'pidlock'), 'wx', 0o600);
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    unlinkSync(join(dir, 'pidlock'));
    pidFile.push(performance.now() - t0);
    t0 = performance.now();
    (await lockStateDir(join(dir, 'state'), { timeoutSeconds: 0 }))();
    flock.push(performance.now() - t0);
  }
  const a = median(pidFile);
  const b = median(flock);
  console.log(`lock + release, uncontended, median of ${repeats}:`);
  console.log(`  pid file (before)      ${a.toFixed(3)} ms`);
  console.log(`  kernel flock (now)     ${b.toFixed(3)} ms   (x${(b / a).toFixed(0)}; one flock(1) spawn)`);

  if (process.getuid?.() === 0) {
    const ci = process.argv.indexOf('--cli');
    const cli = ci > 0 ? process.argv[ci + 1]! : fileURLToPath(new URL('../bin/offloadctl', import.meta.url));
    const ns = await createNetns(`${uniquePrefix('blk')}a`);
    try {
      await ipBatch(
        ns,
        Array.from({ length: burst }, (_, i) => `link add vnet${i} type veth peer name p${i}`),
      );
      const t0 = performance.now();
      const rs = await Promise.all(
        Array.from({ length: burst }, (_, i) =>
          run(
            [
              'ip',
              'netns',
              'exec',
              ns,
              process.execPath,
              cli,
              'apply',
              '--interface',
              `vnet${i}`,
              '--yes',
              '--state-dir',
              join(dir, 'burst'),
            ],
            {
              env: { ...process.env, OFFLOADCTL_NETNS: ns },
              timeoutMs: 300_000,
            },
          ),
        ),
      );
      const wall = performance.now() - t0;
      const ok = rs.filter((r) => r.code === 0).length;
      console.log(
        `burst of ${burst} concurrent apply --interface X --yes: ${ok}/${burst} exit 0, wall ${(wall / 1000).toFixed(2)} s (${(wall / burst).toFixed(0)} ms per apply)`,
      );
    } finally {
      await deleteNetns(ns);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
