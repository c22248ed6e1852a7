/**
 * Accuracy of `offloadctl bench`, side by side in one session (run as root; needs `npm run build`):
 *   1. the bench's offloads-on TCP figure vs a direct `iperf3` over the same lab path, interleaved
 *      (bench, direct, bench, direct, …); target: medians within 5%;
 *   2. netns lab setup + teardown overhead (labUp + labDown); target: under 2 s;
 *   3. the on/off ratio the bench reports (offloads-on vs tso-gso-off) with its interval.
 * Usage: node --import tsx bench/bench-accuracy.ts [--duration 3] [--repeat 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBenchmark } from '../src/bench/bench.js';
import { median, quantile, ratioInterval } from '../src/bench/stats.js';
import { runIperfClient, startIperfServer } from '../src/lab/iperf.js';
import { labDown, labUp } from '../src/lab/lab.js';
import { run } from '../src/kernel/exec.js';
import { selfCli } from '../src/bench/profile-applier.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const duration = arg('--duration', 3);
const repeat = arg('--repeat', 5);
process.env.OFFLOADCTL_LAB_DIR ??= mkdtempSync(join(tmpdir(), 'olc-accuracy-lab-'));

const fmt = (xs: number[], d = 2) =>
  `${median(xs).toFixed(d)} [${quantile(xs, 0.25).toFixed(d)}–${quantile(xs, 0.75).toFixed(d)}]`;

// 2. lab overhead first (nothing else running from this script).
const ups: number[] = [];
const downs: number[] = [];
for (let i = 0; i < 3; i++) {
  const name = `acc${process.pid.toString(36)}o${i}`;
  let t = performance.now();
  await labUp(name, 4);
  ups.push((performance.now() - t) / 1000);
  t = performance.now();
  await labDown(name);
  downs.push((performance.now() - t) / 1000);
}
const totals = ups.map((u, i) => u + downs[i]!);

// 1. bench vs direct iperf3 on one lab, interleaved.
const name = `acc${process.pid.toString(36)}`;
const { status } = await labUp(name, 4);
const [a, b] = status.guests;
const stateDir = mkdtempSync(join(tmpdir(), 'olc-accuracy-state-'));
const benchG: number[] = [];
const directG: number[] = [];
const benchOverhead: number[] = [];
let onOff: Awaited<ReturnType<typeof runBenchmark>> | null = null;
try {
  // Same starting state for both: offloads-on applied once (the bench's own apply is then a no-op).
  const cli = selfCli();
  const applied = await run([
    ...cli,
    '--netns',
    status.hypervisor,
    'apply',
    '--profile',
    'offloads-on',
    '--yes',
    '--json',
    '--state-dir',
    stateDir,
  ]);
  if (applied.code !== 0) throw new Error(`apply offloads-on: ${applied.stderr}`);
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const r = await runBenchmark({
      labName: name,
      lab: 'netns',
      profiles: ['offloads-on'],
      tests: ['tcp'],
      duration,
      repeat: 1,
    });
    benchOverhead.push((performance.now() - t0) / 1000 - duration);
    benchG.push(r.summary['offloads-on']!.tcp!.gbps!.median);
    const srv = await startIperfServer(b!.ns, 5301, b!.ip);
    try {
      const m = await runIperfClient(a!.ns, 'tcp', b!.ip, 5301, { duration });
      directG.push(m.gbps!);
    } finally {
      await srv.stop();
    }
    process.stderr.write(
      `round ${i + 1}/${repeat}: bench ${benchG.at(-1)!.toFixed(2)}  direct ${directG.at(-1)!.toFixed(2)} Gbit/s\n`,
    );
  }
  // 3. the on/off figure as the bench reports it.
  onOff = await runBenchmark({
    labName: name,
    lab: 'netns',
    profiles: ['offloads-on', 'tso-gso-off'],
    tests: ['tcp', 'tcp-multi'],
    duration,
    repeat: 3,
  });
} finally {
  await labDown(name);
  rmSync(stateDir, { recursive: true, force: true });
}

const iv = ratioInterval(directG, benchG, { seed: 1 });
const diff = median(benchG) / median(directG) - 1;
console.log(
  `\nbench accuracy (${repeat} interleaved pairs × ${duration} s, netns lab veth → br0 → veth; medians [IQR])`,
);
console.log(`  bench offloads-on TCP     ${fmt(benchG)} Gbit/s`);
console.log(`  direct iperf3 same path   ${fmt(directG)} Gbit/s`);
console.log(
  `  bench/direct              ${(1 + diff).toFixed(3)} (95% CI ${iv.low.toFixed(2)}–${iv.high.toFixed(2)}); ` +
    `difference ${(diff * 100).toFixed(1)}% → ${Math.abs(diff) <= 0.05 ? 'within' : 'NOT within'} 5%`,
);
console.log(`\nnetns lab overhead (3 runs, 4 ports: 4 namespaces)`);
console.log(`  lab up                    ${fmt(ups)} s`);
console.log(`  lab down                  ${fmt(downs)} s`);
console.log(`  up + down                 ${fmt(totals)} s → ${median(totals) < 2 ? 'under' : 'NOT under'} 2 s`);
console.log(`  one bench run beyond its traffic (servers, apply + restore through the CLI): ${fmt(benchOverhead)} s`);
if (onOff) {
  console.log(`\non/off as the bench reports it (3 rounds × ${duration} s, interleaved)`);
  for (const t of ['tcp', 'tcp-multi'] as const) {
    const on = onOff.summary['offloads-on']![t]!.gbps!;
    const off = onOff.summary['tso-gso-off']![t]!.gbps!;
    const c = onOff.comparisons.find((x) => x.test === t && x.metric === 'gbps')!;
    console.log(
      `  ${t.padEnd(10)} offloads-on ${on.median.toFixed(2)} [${on.q1.toFixed(2)}–${on.q3.toFixed(2)}]  tso-gso-off ${off.median.toFixed(2)} [${off.q1.toFixed(2)}–${off.q3.toFixed(2)}] Gbit/s  ` +
        `on/off ${(on.median / off.median).toFixed(2)}x`,
    );
    console.log(`    ${c.text}`);
  }
}
