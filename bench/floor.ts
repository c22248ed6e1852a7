/**
 * Issue 22: every command against the kernel's floor, side by side in one run.
 *
 *   node --import tsx bench/floor.ts [--sizes 1000,5000] [--repeats 9] [--apply-rounds 3] [--skip-loop]
 *
 * Per size N (N veth interfaces = N/2 pairs in a namespace this script creates and removes, also on
 * failure), through the start-up path the package ships (bin/offloadctl over a private build of
 * dist/main.cjs, as scripts/build.mjs makes it; `--cli FILE` measures another entry point):
 *
 *   read-only commands, interleaved round by round, `--repeats` times each:
 *     offloadctl status --json | audit --json | plan --json
 *     ethtool --json -k '*'            (one dump, in C: the peer)
 *     node -e 0                        (a bare Node start: what the code cannot go below)
 *     true                             (the cost of `ip netns exec` itself, in every row)
 *   → wall and CPU (user+sys, GNU time) medians, peak RSS, and the ratio (cmd − node) / ethtool.
 *
 *   apply and restore (`--apply-rounds` rounds, every round checked against `ethtool --json -k '*'`):
 *     offloadctl apply --yes --state-dir TMP (profile tso-gso-off; snapshot fsync included)
 *     offloadctl restore --last --yes
 *     the kernel's floor for them: bench/apply-scale.ts's floor line (node -e 0 + the system CPU
 *       of 2 features dumps, 1 link dump and the SETs, measured in-process in the namespace)
 *     the `ethtool -K IF tso off gso off` loop (and back on), once per size (it is slow)
 *   → (cmd − node) / (floor − node) and loop / cmd.
 *
 * `--baseline FILE`: also run another entry point (e.g. bin/offloadctl of an older checkout, after its
 * `npm run build`) in the same rounds, rows marked "(baseline)": a before/after in one run.
 * On a loaded machine, wall times carry other processes' scheduling: read the CPU columns first.
 * Needs root.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../src/lab/netns.js';
import { median } from '../src/bench/stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function opt(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const SIZES = (opt('sizes') ?? '1000,5000').split(',').map(Number);
const REPEATS = Math.max(3, Number(opt('repeats') ?? 9));
const APPLY_ROUNDS = Math.max(1, Number(opt('apply-rounds') ?? 3));
const SKIP_LOOP = process.argv.includes('--skip-loop');

interface Sample {
  wallMs: number;
  /** user + system CPU of the process tree, ms (GNU time) */
  cpuMs: number;
  /** peak RSS of the largest process, KiB (GNU time %M) */
  rssKiB: number;
  stdout: string;
}

/**
 * Run argv; exit codes in `ok` accepted (audit/plan exit 1 on deviations). CPU from bash's `time`
 * (getrusage of the children, millisecond resolution; GNU time prints only centiseconds), peak RSS
 * from GNU time's %M inside it.
 */
function run(argv: string[], ok: number[] = [0]): Sample {
  const full = ['bash', '-c', 'TIMEFORMAT="@@cpu %3U %3S"; time /usr/bin/time -f "@@rss %M" "$@"', 'bash', ...argv];
  const t0 = performance.now();
  const r = spawnSync(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  const wallMs = performance.now() - t0;
  const err = r.stderr.toString();
  if (!ok.includes(r.status ?? -1)) throw new Error(`${argv.join(' ')} exited ${r.status}: ${err.slice(0, 400)}`);
  const m = /@@cpu ([\d.]+) ([\d.]+)/.exec(err);
  const rss = /@@rss (\d+)/.exec(err);
  if (!m || !rss) throw new Error(`no time lines from ${argv.join(' ')}: ${err.slice(-300)}`);
  return { wallMs, cpuMs: (Number(m[1]) + Number(m[2])) * 1000, rssKiB: Number(rss[1]), stdout: r.stdout.toString() };
}

/** The bundle scripts/build.mjs makes, in a private folder, run through a copy of bin/offloadctl. */
function privateBuild(): { cli: string; cleanup: () => void } {
  const given = opt('cli');
  if (given) return { cli: given, cleanup: () => {} };
  const dir = join(ROOT, 'node_modules', '.cache', `offloadctl-floor-${process.pid}`);
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--outdir', dir], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('private build failed');
  const bin = readFileSync(join(ROOT, 'bin/offloadctl'), 'utf8')
    .replace(/^#!.*\n/, '')
    .replaceAll('../dist/', './');
  // bin/offloadctl is CommonJS (bin/package.json); the copy's extension says so
  writeFileSync(join(dir, 'bin.cjs'), bin);
  return { cli: join(dir, 'bin.cjs'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const LOOP = (v: 'on' | 'off') =>
  `for p in /sys/class/net/*; do i=\${p##*/}; [ "$i" = lo ] && continue; ethtool -K "$i" tso ${v} gso ${v}; done`;

/** The oracle: how many non-loopback devices have TSO and GSO both off. */
function countOff(ns: string): number {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'ethtool', '--json', '-k', '*'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const all = JSON.parse(r.stdout) as Array<Record<string, { active: boolean } | string>>;
  return all.filter((d) => {
    const tso = d['tcp-segmentation-offload'] as { active: boolean };
    const gso = d['generic-segmentation-offload'] as { active: boolean };
    return d.ifname !== 'lo' && !tso.active && !gso.active;
  }).length;
}

interface KernelFloor {
  setsOff: number;
  setsOn: number;
  featuresDump: number;
  linkDump: number;
}

const f0 = (x: number) => x.toFixed(0);
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);

const BASELINE = opt('baseline');

async function size(n: number, cli: string): Promise<void> {
  const ns = await createNetns(`${uniquePrefix('bfl')}a`);
  const state = mkdtempSync(join(tmpdir(), 'olc-bench-floor-'));
  try {
    let t = performance.now();
    const lines: string[] = [];
    for (let i = 0; i < n / 2; i++) lines.push(`link add b${i} type veth peer name c${i}`);
    await ipBatch(ns, lines);
    console.log(`\n=== ${n} veth interfaces (+ lo) in ${ns}, built in ${f1((performance.now() - t) / 1000)} s ===`);
    const ex = (argv: string[]) => ['ip', 'netns', 'exec', ns, ...argv];
    const node = process.execPath;

    // --- read-only commands
    const rows = [
      { name: 'offloadctl status --json', argv: ex([node, cli, 'status', '--json']), ok: [0] },
      { name: 'offloadctl audit --json', argv: ex([node, cli, 'audit', '--json']), ok: [0, 1] },
      { name: 'offloadctl plan --json', argv: ex([node, cli, 'plan', '--json']), ok: [0, 1] },
      ...(BASELINE
        ? [
            { name: 'offloadctl status (baseline)', argv: ex([node, BASELINE, 'status', '--json']), ok: [0] },
            { name: 'offloadctl audit (baseline)', argv: ex([node, BASELINE, 'audit', '--json']), ok: [0, 1] },
            { name: 'offloadctl plan (baseline)', argv: ex([node, BASELINE, 'plan', '--json']), ok: [0, 1] },
          ]
        : []),
      { name: "ethtool --json -k '*'", argv: ex(['ethtool', '--json', '-k', '*']), ok: [0] },
      { name: 'node -e 0', argv: ex([node, '-e', '0']), ok: [0] },
      { name: 'ip netns exec true', argv: ex(['true']), ok: [0] },
    ];
    const samples = new Map(rows.map((r) => [r.name, [] as Sample[]]));
    for (const r of rows) run(r.argv, r.ok); // warm-up: page cache, code caches written
    t = performance.now();
    for (let i = 0; i < REPEATS; i++) for (const r of rows) samples.get(r.name)!.push(run(r.argv, r.ok));
    const med = (name: string, k: 'wallMs' | 'cpuMs' | 'rssKiB') => median(samples.get(name)!.map((s) => s[k]));
    console.log(
      `read-only commands: medians of ${REPEATS} interleaved runs, each incl. \`ip netns exec\` (${f1((performance.now() - t) / 1000)} s)`,
    );
    console.log(
      `  ${''.padEnd(30)} ${'wall ms'.padStart(8)} ${'CPU ms'.padStart(8)} ${'RSS MiB'.padStart(8)}   ${'(wall−node)/ethtool'.padStart(19)} ${'(CPU−node)/ethtool'.padStart(18)}`,
    );
    const ew = med("ethtool --json -k '*'", 'wallMs');
    const ec = med("ethtool --json -k '*'", 'cpuMs');
    const nw = med('node -e 0', 'wallMs');
    const nc = med('node -e 0', 'cpuMs');
    for (const r of rows) {
      const w = med(r.name, 'wallMs');
      const c = med(r.name, 'cpuMs');
      const ratio = r.name.startsWith('offloadctl')
        ? `${f2((w - nw) / ew).padStart(19)} ${f2((c - nc) / ec).padStart(18)}`
        : '';
      // (ethtool's own figures include `ip netns exec`'s few ms, as every row does)
      console.log(
        `  ${r.name.padEnd(30)} ${f1(w).padStart(8)} ${f0(c).padStart(8)} ${f1(med(r.name, 'rssKiB') / 1024).padStart(8)}   ${ratio}`,
      );
    }
    console.log(`  target: (cmd − node) / ethtool ≤ 1.5`);

    // --- apply and restore
    const env = { ...process.env, OFFLOADCTL_NETNS: ns };
    const apply: Sample[] = [];
    const restore: Sample[] = [];
    const node0: Sample[] = [];
    const baseApply: Sample[] = [];
    const baseRestore: Sample[] = [];
    for (let r = 0; r < APPLY_ROUNDS; r++) {
      if (BASELINE) {
        baseApply.push(run(ex([node, BASELINE, 'apply', '--yes', '--json', '--state-dir', state])));
        if (countOff(ns) !== n) throw new Error('baseline apply did not turn TSO/GSO off everywhere (ethtool says)');
        baseRestore.push(run(ex([node, BASELINE, 'restore', '--last', '--yes', '--state-dir', state])));
        if (countOff(ns) !== 0) throw new Error('baseline restore did not bring TSO/GSO back (ethtool says)');
      }
      apply.push(run(ex([node, cli, 'apply', '--yes', '--json', '--state-dir', state])));
      if (countOff(ns) !== n) throw new Error('apply did not turn TSO/GSO off everywhere (ethtool says)');
      restore.push(run(ex([node, cli, 'restore', '--last', '--yes', '--state-dir', state])));
      if (countOff(ns) !== 0) throw new Error('restore did not bring TSO/GSO back (ethtool says)');
      node0.push(run(ex([node, '-e', '0'])));
    }
    // The kernel's floor, measured by apply-scale's inner mode inside the namespace (same state dir).
    const inner = spawnSync(
      'ip',
      ['netns', 'exec', ns, node, '--import', 'tsx', join(ROOT, 'bench/apply-scale.ts'), '--inner', state, '3'],
      {
        encoding: 'utf8',
        cwd: ROOT,
        env,
        maxBuffer: 1 << 26,
      },
    );
    if (inner.status !== 0) throw new Error(`apply-scale --inner failed: ${inner.stderr.slice(0, 400)}`);
    const inproc = JSON.parse(inner.stdout.trim().split('\n').at(-1)!) as {
      apply: number[];
      restore: number[];
      kernel: KernelFloor;
    };
    const k = inproc.kernel;
    const dumps = 2 * k.featuresDump + k.linkDump;
    let loopOff = NaN;
    let loopOn = NaN;
    if (!SKIP_LOOP) {
      loopOff = run(ex(['sh', '-c', LOOP('off')])).wallMs;
      if (countOff(ns) !== n) throw new Error('the loop did not turn TSO/GSO off');
      loopOn = run(ex(['sh', '-c', LOOP('on')])).wallMs;
    }
    const nW = median(node0.map((s) => s.wallMs));
    const nC = median(node0.map((s) => s.cpuMs));
    console.log(
      `apply / restore: medians of ${APPLY_ROUNDS} rounds (each checked with ethtool); floor = node -e 0 + kernel system CPU`,
    );
    console.log(
      `  kernel (apply-scale floor, means of ≥10): features dump ${f1(k.featuresDump)} ms, link dump ${f1(k.linkDump)} ms, ${n} SETs off ${f1(k.setsOff)} ms, on ${f1(k.setsOn)} ms`,
    );
    for (const [name, xs, sets, loop] of [
      ['apply', apply, k.setsOff, loopOff],
      ['restore', restore, k.setsOn, loopOn],
      ...(BASELINE
        ? ([
            ['apply (baseline)', baseApply, k.setsOff, loopOff],
            ['restore (baseline)', baseRestore, k.setsOn, loopOn],
          ] as const)
        : []),
    ] as const) {
      const w = median(xs.map((s) => s.wallMs));
      const c = median(xs.map((s) => s.cpuMs));
      const kern = dumps + sets;
      console.log(
        `  ${name.padEnd(18)} wall ${f0(w).padStart(5)} ms, CPU ${f0(c).padStart(5)} ms, RSS ${f0(Math.max(...xs.map((s) => s.rssKiB)) / 1024)} MiB | ` +
          `floor ${f0(nW + kern)} ms (node ${f0(nW)} + kernel ${f1(kern)}) | (wall−node)/kernel ${f2((w - nW) / kern)}, (CPU−node CPU)/kernel ${f2((c - nC) / kern)} | ` +
          (SKIP_LOOP ? 'loop skipped' : `ethtool -K loop ${f0(loop)} ms = ${f1(loop / w)}x`),
      );
    }
    console.log(
      `  in one running process (apply-scale --inner): apply ${inproc.apply.map(f0).join(' ')} ms, restore ${inproc.restore.map(f0).join(' ')} ms`,
    );
    console.log(`  targets: (cmd − node) / kernel ≤ 1.5; at 5000: loop / cmd ≥ 10`);
  } finally {
    rmSync(state, { recursive: true, force: true });
    await deleteNetns(ns);
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('floor: needs root (it builds network namespaces)');
  if (!existsSync('/usr/bin/time')) throw new Error('floor: needs GNU time (/usr/bin/time, Debian package "time")');
  const { cli, cleanup } = privateBuild();
  try {
    console.log(
      `floor: ${new Date().toISOString()}, node ${process.version}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );
    for (const n of SIZES) await size(n, cli);
  } finally {
    cleanup();
  }
}

await main();
