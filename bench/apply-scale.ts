/**
 * apply/restore at scale vs the shell loop operators run by hand.
 *
 *   node --import tsx bench/apply-scale.ts [--interfaces 1000] [--rounds 3]
 *
 * Builds its own namespace with N veth interfaces (N/2 pairs; removed afterwards, also on failure)
 * and, per round, times from outside (wall clock, process start included):
 *   offloadctl apply   `ip netns exec NS node bin/offloadctl apply --yes --state-dir TMP`
 *                      (observe, plan, snapshot written + fsynced, journal fsyncs, SETs, verify dump)
 *   shell loop off     `ip netns exec NS sh -c 'for i in /sys/class/net/*; ... ethtool -K $i tso off gso off'`
 *   offloadctl restore `... restore --last --yes --state-dir TMP` (read snapshot, diff, SETs, verify)
 *   shell loop on      the same loop with `tso on gso on`
 * Both sides pay one `ip netns exec`. Prints medians over the rounds and the ratios, plus the peak
 * RSS of the offloadctl processes (/usr/bin/time -f %M) and the snapshot's size. Then the same
 * pipeline in one running process (--inner: observe, plan, apply with snapshot fsync, verify,
 * restore), which is what an agent or library caller pays once Node is up.
 * Needs root. Builds its own copy of the CLI (esbuild, as scripts/build.mjs) under node_modules/.cache.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetns, deleteNetns, ipBatch, nsRunOk, uniquePrefix } from '../src/lab/netns.js';
import { median } from '../src/bench/stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** A private build of the CLI (as scripts/build.mjs does it), so a rebuild of dist/ meanwhile cannot break a round. */
const PRIVATE = join(ROOT, 'node_modules', '.cache', `offloadctl-bench-${process.pid}`);
const CLI = join(PRIVATE, 'bin.mjs');

async function privateBuild(): Promise<void> {
  // the same bundle as dist/ (scripts/build.mjs), in a private folder
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--outdir', PRIVATE], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('private build failed');
  writeFileSync(CLI, "import { main } from './main.js';\nprocess.exitCode = await main(process.argv);\n");
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const N = arg('interfaces', 1000);
const ROUNDS = Math.max(3, arg('rounds', 3));

/** Run argv, return wall seconds and (when wrapped in /usr/bin/time) the peak RSS in KiB. */
function timed(argv: string[], env: NodeJS.ProcessEnv = process.env, withRss = false): { s: number; rssKiB: number | null; stdout: string } {
  const full = withRss && existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', 'RSS_KIB=%M', ...argv] : argv;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0]!, full.slice(1), { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const m = /RSS_KIB=(\d+)/.exec(r.stderr ?? '');
  return { s, rssKiB: m ? Number(m[1]) : null, stdout: r.stdout ?? '' };
}

const LOOP = (v: 'on' | 'off') =>
  `for p in /sys/class/net/*; do i=\${p##*/}; [ "$i" = lo ] && continue; ethtool -K "$i" tso ${v} gso ${v}; done`;

async function countOff(ns: string): Promise<number> {
  const all = JSON.parse(await nsRunOk(ns, ['ethtool', '--json', '-k', '*'], { timeoutMs: 60_000 })) as Record<string, { active: boolean }>[];
  return all.filter((d) => d.ifname as unknown as string !== 'lo' && !d['tcp-segmentation-offload']?.active && !d['generic-segmentation-offload']?.active).length;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
  await privateBuild();
  const ns = await createNetns(`${uniquePrefix('bapl')}a`);
  const state = mkdtempSync(join(tmpdir(), 'olc-bench-apply-'));
  try {
    const lines: string[] = [];
    for (let i = 0; i < N / 2; i++) lines.push(`link add b${i} type veth peer name c${i}`);
    await ipBatch(ns, lines);
    const env = { ...process.env, OFFLOADCTL_NETNS: ns };
    const inNs = (argv: string[]) => ['ip', 'netns', 'exec', ns, ...argv];
    const node0 = timed(inNs([process.execPath, '-e', '0'])).s;

    const res = { apply: [] as number[], loopOff: [] as number[], restore: [] as number[], loopOn: [] as number[] };
    const phases: Record<string, number[]> = {};
    let rssApply = 0;
    let rssRestore = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const a = timed(inNs([process.execPath, CLI, 'apply', '--yes', '--json', '--state-dir', state]), env, true);
      res.apply.push(a.s);
      const t = (JSON.parse(a.stdout) as { timings: Record<string, number> }).timings;
      for (const [k, v] of Object.entries(t)) (phases[k] ??= []).push(v);
      rssApply = Math.max(rssApply, a.rssKiB ?? 0);
      if ((await countOff(ns)) !== N) throw new Error('apply did not turn TSO/GSO off everywhere');
      const b = timed(inNs([process.execPath, CLI, 'restore', '--last', '--yes', '--state-dir', state]), env, true);
      res.restore.push(b.s);
      rssRestore = Math.max(rssRestore, b.rssKiB ?? 0);
      if ((await countOff(ns)) !== 0) throw new Error('restore did not bring TSO/GSO back');
      res.loopOff.push(timed(inNs(['sh', '-c', LOOP('off')])).s);
      if ((await countOff(ns)) !== N) throw new Error('the loop did not turn TSO/GSO off');
      res.loopOn.push(timed(inNs(['sh', '-c', LOOP('on')])).s);
    }
    // The same pipeline in one already-running process (no process start, no module loading).
    const innerOut = timed(inNs([process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--inner', state, String(ROUNDS)]), {
      ...env,
    }).stdout;
    const inproc = JSON.parse(innerOut.trim().split('\n').at(-1)!) as { apply: number[]; restore: number[] };
    const snaps = join(state, 'snapshots');
    const snapFile = readdirSync(snaps).find((f) => f.endsWith('.json'))!;
    const snapBytes = statSync(join(snaps, snapFile)).size;

    const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
    const row = (what: string, ours: number[], loop: number[]) =>
      `${what.padEnd(28)} ${ms(median(ours)).padStart(9)}   ${ms(median(loop)).padStart(9)}   ${(median(loop) / median(ours)).toFixed(1).padStart(6)}x`;
    process.stdout.write(
      [
        `apply-scale: ${N} veth interfaces in one namespace, ${ROUNDS} rounds, medians (wall clock, process start included)`,
        `${''.padEnd(28)} ${'offloadctl'.padStart(9)}   ${'sh+ethtool'.padStart(9)}   ${'faster'.padStart(7)}`,
        row('tso+gso off (apply)', res.apply, res.loopOff),
        row('tso+gso back on (restore)', res.restore, res.loopOn),
        '',
        `rounds (s): apply ${res.apply.map((x) => x.toFixed(3)).join(' ')} | loop off ${res.loopOff.map((x) => x.toFixed(2)).join(' ')}`,
        `            restore ${res.restore.map((x) => x.toFixed(3)).join(' ')} | loop on ${res.loopOn.map((x) => x.toFixed(2)).join(' ')}`,
        `node start alone (ip netns exec node -e 0): ${ms(node0)}`,
        `inside apply (medians, ms): observe+plan ${median(phases.observeAndPlan ?? [])}, then since apply began: ` +
          `snapshot on disk ${median(phases.snapshot ?? [])}, all SETs done ${median(phases.set ?? [])}, ` +
          `verified ${median(phases.verify ?? [])}, total ${median(phases.total ?? [])}`,
        `in one running process (library/agent use; ${ROUNDS} rounds, first = cold): ` +
          `apply ${inproc.apply.map((x) => x.toFixed(0)).join(' ')} ms (median ${median(inproc.apply).toFixed(0)}, ` +
          `${(median(res.loopOff) * 1000 / median(inproc.apply)).toFixed(1)}x the loop), ` +
          `restore ${inproc.restore.map((x) => x.toFixed(0)).join(' ')} ms (median ${median(inproc.restore).toFixed(0)}, ` +
          `${(median(res.loopOn) * 1000 / median(inproc.restore)).toFixed(1)}x)`,
        `peak RSS: apply ${(rssApply / 1024).toFixed(0)} MiB, restore ${(rssRestore / 1024).toFixed(0)} MiB; snapshot ${(snapBytes / 1024).toFixed(0)} KiB for ${N} interfaces (fsynced)`,
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(state, { recursive: true, force: true });
    rmSync(PRIVATE, { recursive: true, force: true });
    await deleteNetns(ns);
  }
}

/**
 * Inner mode (run inside the namespace by the outer run): the same pipeline in one long-lived
 * process — observe + plan + apply (snapshot fsync included) + verify, then restore — ROUNDS
 * times, as an agent or a caller of the library would run it. Prints one JSON line.
 */
async function inner(stateDir: string, rounds: number): Promise<void> {
  const [{ openKernel }, { loadPolicy }, { observeAndPlan }, { applyPlan }, { restoreSnapshot }, { SnapshotStore }] = await Promise.all([
    import('../src/kernel/index.js'),
    import('../src/policy/index.js'),
    import('../src/apply/pipeline.js'),
    import('../src/apply/apply.js'),
    import('../src/apply/restore.js'),
    import('../src/apply/store.js'),
  ]);
  const kernel = await openKernel({ backend: 'netlink' });
  const store = new SnapshotStore(stateDir);
  const policy = loadPolicy({ profile: 'tso-gso-off' });
  const apply: number[] = [];
  const restore: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      let t0 = performance.now();
      const p = await observeAndPlan(kernel, { policy, interfaces: [] });
      const report = await applyPlan(kernel, p.observation, p.desired, p.plan, { store });
      apply.push(performance.now() - t0);
      if (report.status !== 'applied') throw new Error(`inner apply: ${report.status}`);
      t0 = performance.now();
      const rr = await restoreSnapshot(kernel, store.read(report.snapshot!), store.entries(report.snapshot!));
      restore.push(performance.now() - t0);
      if (!rr.ok) throw new Error('inner restore did not verify');
    }
  } finally {
    kernel.close();
  }
  process.stdout.write(JSON.stringify({ apply, restore }) + '\n');
}

if (process.argv[2] === '--inner') await inner(process.argv[3]!, Number(process.argv[4]));
else await main();
