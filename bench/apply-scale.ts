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
 * restore), which is what an agent or library caller pays once Node is up, and the floor: `node -e 0`
 * in the namespace plus the kernel's system CPU time for the dumps and SETs apply/restore need —
 * what no Node.js CLI can go below — with the ratio to the loop that floor would give.
 * Needs root. Builds its own copy of the CLI (esbuild, as scripts/build.mjs) under node_modules/.cache.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetns, deleteNetns, ipBatch, nsRunOk, uniquePrefix } from '../src/lab/netns.js';
import { median } from '../src/bench/stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/**
 * A private build of the CLI (scripts/build.mjs --outdir) run through a copy of bin/offloadctl, so
 * a rebuild of dist/ meanwhile cannot break a round.
 */
const PRIVATE = join(ROOT, 'node_modules', '.cache', `offloadctl-bench-${process.pid}`);
const CLI = join(PRIVATE, 'bin.cjs'); // bin/offloadctl is CommonJS (bin/package.json)

async function privateBuild(): Promise<void> {
  // the same bundle as dist/ (scripts/build.mjs), in a private folder
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--outdir', PRIVATE], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('private build failed');
  // bin/offloadctl itself (its start-up flags included), pointed at this bundle
  const bin = readFileSync(join(ROOT, 'bin/offloadctl'), 'utf8')
    .replace(/^#!.*\n/, '')
    .replaceAll('../dist/', './');
  writeFileSync(CLI, bin);
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const N = arg('interfaces', 1000);
const ROUNDS = Math.max(3, arg('rounds', 3));

/** Run argv, return wall seconds and (when wrapped in /usr/bin/time) the peak RSS in KiB. */
function timed(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  withRss = false,
): { s: number; rssKiB: number | null; stdout: string } {
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
  const all = JSON.parse(await nsRunOk(ns, ['ethtool', '--json', '-k', '*'], { timeoutMs: 60_000 })) as Record<
    string,
    { active: boolean }
  >[];
  return all.filter(
    (d) =>
      (d.ifname as unknown as string) !== 'lo' &&
      !d['tcp-segmentation-offload']?.active &&
      !d['generic-segmentation-offload']?.active,
  ).length;
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

    const res = {
      apply: [] as number[],
      loopOff: [] as number[],
      restore: [] as number[],
      loopOn: [] as number[],
      node0: [] as number[],
    };
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
      res.node0.push(timed(inNs([process.execPath, '-e', '0'])).s);
    }
    // The same pipeline in one already-running process (no process start, no module loading).
    const innerOut = timed(
      inNs([process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--inner', state, String(ROUNDS)]),
      {
        ...env,
      },
    ).stdout;
    const inproc = JSON.parse(innerOut.trim().split('\n').at(-1)!) as {
      apply: number[];
      restore: number[];
      kernel: KernelFloor;
    };
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
        `node start alone (ip netns exec node -e 0): ${ms(median(res.node0))}`,
        `inside apply (medians, ms): observe+plan ${median(phases.observeAndPlan ?? [])}, then since apply began: ` +
          `snapshot on disk ${median(phases.snapshot ?? [])}, all SETs done ${median(phases.set ?? [])}, ` +
          `verified ${median(phases.verify ?? [])}, total ${median(phases.total ?? [])}`,
        `in one running process (library/agent use; ${ROUNDS} rounds, first = cold): ` +
          `apply ${inproc.apply.map((x) => x.toFixed(0)).join(' ')} ms (median ${median(inproc.apply).toFixed(0)}, ` +
          `${((median(res.loopOff) * 1000) / median(inproc.apply)).toFixed(1)}x the loop), ` +
          `restore ${inproc.restore.map((x) => x.toFixed(0)).join(' ')} ms (median ${median(inproc.restore).toFixed(0)}, ` +
          `${((median(res.loopOn) * 1000) / median(inproc.restore)).toFixed(1)}x)`,
        ...floorLines(median(res.node0) * 1000, inproc.kernel, median(res.loopOff) * 1000, median(res.loopOn) * 1000),
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
  const [{ openKernel }, { loadPolicy }, { observeAndPlan }, { applyPlan }, { restoreSnapshot }, { SnapshotStore }] =
    await Promise.all([
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
  let floor: KernelFloor;
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
    floor = await kernelFloor(kernel, policy, observeAndPlan, rounds);
  } finally {
    kernel.close();
  }
  process.stdout.write(JSON.stringify({ apply, restore, kernel: floor }) + '\n');
}

/** System CPU time (ms, means over ≥10 repetitions) the kernel spends on what apply and restore must ask of it. */
interface KernelFloor {
  /** apply's FEATURES_SETs (every planned change, pipelined as apply sends them) */
  setsOff: number;
  /** the same interfaces back on */
  setsOn: number;
  /** one ETHTOOL_MSG_FEATURES_GET dump */
  featuresDump: number;
  /** one RTM_GETLINK dump */
  linkDump: number;
}

/**
 * The kernel's share, measured as this process's system CPU time around the bare kernel calls
 * (process.cpuUsage().system): netlink requests to the kernel are processed synchronously in the
 * sender's sendmsg(), so their cost lands in the sender's system time. User-space work
 * (encoding, decoding, planning) is not counted: it is what a faster implementation could cut.
 */
async function kernelFloor(
  kernel: import('../src/kernel/types.js').KernelBackend,
  policy: import('../src/model/types.js').Policy,
  observeAndPlan: typeof import('../src/apply/pipeline.js').observeAndPlan,
  rounds: number,
): Promise<KernelFloor> {
  const p = await observeAndPlan(kernel, { policy, interfaces: [] });
  const off = p.plan.changes.map((c) => ({ ifname: c.ifname, changes: c.set }));
  const on = off.map((c) => ({
    ifname: c.ifname,
    changes: Object.fromEntries(Object.keys(c.changes).map((f) => [f, true])),
  }));
  // Linux charges CPU time by ticks (every 4 ms at HZ=250) unless it accounts precisely: a single
  // 10 ms call can be charged 0 or 12 ms. The mean over many repetitions is still exact on average.
  const reps = Math.max(10, rounds);
  const total: Record<keyof KernelFloor, number> = { setsOff: 0, setsOn: 0, featuresDump: 0, linkDump: 0 };
  const sys = async (k: keyof KernelFloor, fn: () => Promise<unknown>) => {
    const t0 = process.cpuUsage().system;
    await fn();
    total[k] += (process.cpuUsage().system - t0) / 1000 / reps;
  };
  for (let i = 0; i < reps; i++) {
    await sys('setsOff', () => kernel.setFeaturesMany!(off));
    await sys('setsOn', () => kernel.setFeaturesMany!(on));
    await sys('featuresDump', () => kernel.dumpFeatures());
    await sys('linkDump', () => kernel.listLinks());
  }
  return total;
}

/**
 * The floor a Node.js CLI cannot go below: starting node (in the namespace) plus the kernel's own
 * work for what apply/restore must do — a features dump and a link dump to observe (the snapshot
 * needs them), the SETs, a features dump to verify — and the ratio to the loop that floor would give.
 */
function floorLines(node0: number, k: KernelFloor, loopOff: number, loopOn: number): string[] {
  const f = (x: number) => x.toFixed(1);
  const dumps = 2 * k.featuresDump + k.linkDump;
  const applyFloor = node0 + dumps + k.setsOff;
  const restoreFloor = node0 + dumps + k.setsOn;
  return [
    `kernel system CPU (means of ≥10 runs): ${N} SETs off ${f(k.setsOff)} ms, on ${f(k.setsOn)} ms; features dump ${f(k.featuresDump)} ms; link dump ${f(k.linkDump)} ms`,
    `floor for a Node CLI: node -e 0 ${f(node0)} + kernel (2 features dumps + link dump ${f(dumps)}, SETs ${f(k.setsOff)}) = ${f(applyFloor)} ms apply ` +
      `→ at best ${(loopOff / applyFloor).toFixed(1)}x the loop; restore ${f(restoreFloor)} ms → at best ${(loopOn / restoreFloor).toFixed(1)}x ` +
      `(10x needs ≤ ${f(loopOff / 10)} / ${f(loopOn / 10)} ms)`,
  ];
}

if (process.argv[2] === '--inner') await inner(process.argv[3]!, Number(process.argv[4]));
else await main();
