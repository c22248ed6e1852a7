/**
 * What `audit` costs on 2000 interfaces, side by side in one run.
 *
 *   node --import tsx bench/audit-scale.ts [--pairs 1000] [--repeats 5]
 *
 * Builds a namespace with a bridge and N veth pairs (one end of each a bridge port), then measures
 * (interleaved round by round, medians of wall time incl. `ip netns exec`):
 *   - `offloadctl audit --json` and `offloadctl audit` (table)   (the built CLI; `npm run build` first)
 *   - `offloadctl status --json`                                  (observe only: audit's floor)
 *   - a shell loop of `ethtool -k IF | grep` for TSO/GSO            (the manual audit operators do)
 *   - `ethtool --json -k '*'` and `node -e 0`
 * and, in this process on a hand-built 2001-interface observation, the pure part
 * (resolvePolicy + audit + grouping + JSON). Needs root; the namespace is removed afterwards.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../src/lab/netns.js';
import { loadPolicy, resolvePolicy } from '../src/policy/index.js';
import { audit } from '../src/audit/audit.js';
import { groupFindings } from '../src/audit/render.js';
import { COMMON_KERNEL_FEATURES } from '../src/policy/short-names.js';
import type { Interface, Observation } from '../src/model/types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Wall time in ms; exit codes 0 and 1 (audit's "deviations") are both fine. */
function timeRun(argv: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  const dt = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1)
    throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr?.toString().slice(0, 300)}`);
  return dt;
}

function peakRss(argv: string[]): number | null {
  if (!existsSync('/usr/bin/time')) return null;
  const r = spawnSync('/usr/bin/time', ['-v', ...argv], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr.toString());
  return m ? Number(m[1]) / 1024 : null;
}

function pureFigures(n: number, repeats: number): Record<string, number> {
  const fm = () =>
    Object.fromEntries(COMMON_KERNEL_FEATURES.map((f) => [f, { active: true, requested: true, fixed: false }]));
  const ifs: Interface[] = [
    {
      ifindex: 1,
      name: 'br0',
      kind: 'bridge',
      role: 'bridge',
      master: null,
      driver: 'bridge',
      mtu: 1500,
      operstate: 'UP',
      vm: null,
      features: fm(),
    },
  ];
  for (let i = 0; i < n; i++) {
    ifs.push({
      ifindex: i + 2,
      name: `bv${i}`,
      kind: 'veth',
      role: 'veth',
      master: i % 2 ? 'br0' : null,
      driver: 'veth',
      mtu: 1500,
      operstate: 'UP',
      vm: null,
      features: fm(),
    });
  }
  const obs: Observation = { takenAt: '', backend: 'netlink', interfaces: ifs };
  const policy = loadPolicy({});
  const t = { resolve: [] as number[], audit: [] as number[], group: [] as number[], json: [] as number[] };
  for (let r = 0; r < repeats; r++) {
    let t0 = performance.now();
    const d = resolvePolicy(policy, obs);
    t.resolve.push(performance.now() - t0);
    t0 = performance.now();
    const rep = audit(obs, d);
    t.audit.push(performance.now() - t0);
    t0 = performance.now();
    groupFindings(rep.findings);
    t.group.push(performance.now() - t0);
    t0 = performance.now();
    JSON.stringify(rep, null, 2);
    t.json.push(performance.now() - t0);
  }
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
}

async function main(): Promise<void> {
  const pairs = arg('pairs', 1000);
  const repeats = Math.max(3, arg('repeats', 5));
  if (process.getuid?.() !== 0) {
    console.error('audit-scale: needs root (it builds a network namespace)');
    process.exitCode = 2;
    return;
  }
  const cli = `${root}bin/offloadctl`;
  if (!existsSync(`${root}dist/main.cjs`)) {
    console.error('audit-scale: run `npm run build` first');
    process.exitCode = 2;
    return;
  }
  const ns = await createNetns(`${uniquePrefix('bau')}a`);
  try {
    const lines = ['link add br0 type bridge'];
    for (let i = 0; i < pairs; i++)
      lines.push(`link add bv${i}a type veth peer name bv${i}b`, `link set bv${i}a master br0`);
    await ipBatch(ns, lines);
    const ex = (argv: string[]) => ['ip', 'netns', 'exec', ns, ...argv];
    const rows = [
      { name: 'offloadctl audit --json', argv: ex([process.execPath, cli, 'audit', '--json']) },
      { name: 'offloadctl audit (table)', argv: ex([process.execPath, cli, 'audit']) },
      { name: 'offloadctl status --json', argv: ex([process.execPath, cli, 'status', '--json']) },
      {
        name: 'sh loop: ethtool -k IF | grep',
        // A fixed script: interface names never enter a command string built here.
        argv: ex([
          'sh',
          '-c',
          'for i in $(ls /sys/class/net); do ethtool -k "$i" | grep -E "^(tcp-segmentation|generic-segmentation)-offload: on"; done; true',
        ]),
      },
      { name: "ethtool --json -k '*'", argv: ex(['ethtool', '--json', '-k', '*']) },
      { name: 'node -e 0', argv: ex([process.execPath, '-e', '0']) },
    ];
    const times = new Map(rows.map((r) => [r.name, [] as number[]]));
    for (const r of rows) timeRun(r.argv); // warm-up
    for (let i = 0; i < repeats; i++) for (const r of rows) times.get(r.name)!.push(timeRun(r.argv));
    const med = new Map([...times].map(([k, v]) => [k, median(v)]));
    console.log(
      `namespace: bridge + ${pairs} veth pairs (${2 * pairs + 2} interfaces); median of ${repeats} interleaved runs:`,
    );
    for (const r of rows) {
      console.log(
        `  ${r.name.padEnd(32)} ${med.get(r.name)!.toFixed(1).padStart(8)} ms   (runs: ${times
          .get(r.name)!
          .map((x) => x.toFixed(0))
          .join(' ')})`,
      );
    }
    const a = med.get('offloadctl audit --json')!;
    const s = med.get('offloadctl status --json')!;
    const loop = med.get('sh loop: ethtool -k IF | grep')!;
    console.log('\nratios:');
    console.log(`  audit --json / status --json      = ${(a / s).toFixed(2)}  (what policy + audit add to observing)`);
    console.log(`  ethtool loop / audit --json       = ${(loop / a).toFixed(1)}x`);
    const pure = pureFigures(2 * pairs + 1, repeats);
    console.log(
      `\npure part on ${2 * pairs + 1} interfaces, in process (medians): resolve ${pure.resolve!.toFixed(1)} ms, audit ${pure.audit!.toFixed(1)} ms, group ${pure.group!.toFixed(1)} ms, JSON ${pure.json!.toFixed(1)} ms`,
    );
    const rss = peakRss(ex([process.execPath, cli, 'audit', '--json']));
    const rssStatus = peakRss(ex([process.execPath, cli, 'status', '--json']));
    console.log(
      `peak memory (max RSS): audit --json ${rss?.toFixed(1) ?? 'n/a'} MiB, status --json ${rssStatus?.toFixed(1) ?? 'n/a'} MiB`,
    );
  } finally {
    await deleteNetns(ns);
  }
}

await main();
