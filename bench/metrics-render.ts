/**
 * What one /metrics render costs the agent on a large host, with the code the agent runs
 * (`--max-opt=1`, baseline code only: bin/offloadctl) against V8's optimising compiler on
 * (Node's default), side by side. Each round starts two fresh processes, interleaved, that build
 * the agent's registry for N interfaces (bench/metrics-cardinality.ts) and render its exposition
 * text R times in a row, the way a scraper every few seconds would once the agent is warm.
 * Prints, per variant, the median over rounds of: the first render, the median warm render,
 * and the process's CPU.
 *
 * Run: node --import tsx bench/metrics-render.ts [--interfaces 5000] [--renders 30] [--rounds 5]
 *      [--features policy|all|none]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_METRICS_SELECTION, type MetricsSelection } from '../src/agent/metrics-selection.js';
import { quantile } from '../src/model/statistics.js';
import { metricsFor } from './metrics-cardinality.js';

const { values } = parseArgs({
  options: {
    interfaces: { type: 'string', default: '5000' },
    renders: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '5' },
    features: { type: 'string', default: 'policy' },
    child: { type: 'boolean', default: false },
  },
});
const n = Number(values.interfaces);
const renders = Number(values.renders);
const features = values.features as MetricsSelection['features'];

interface ChildResult {
  firstMs: number;
  warmMs: number;
  cpuMs: number;
  bytes: number;
}

async function child(): Promise<void> {
  const m = metricsFor({ ...DEFAULT_METRICS_SELECTION, features }, n);
  const cpu0 = process.cpuUsage();
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < renders; i++) {
    const t0 = performance.now();
    bytes = (await m.text()).length;
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  const r: ChildResult = {
    firstMs: times[0]!,
    warmMs: quantile(times.slice(1), 0.5),
    cpuMs: (cpu.user + cpu.system) / 1000,
    bytes,
  };
  process.stdout.write(JSON.stringify(r));
}

const VARIANTS = [
  { name: 'baseline code (--max-opt=1, as the agent runs)', flags: ['--max-opt=1'] },
  { name: 'optimising compiler on (Node default)', flags: [] },
];

function main(): void {
  const self = fileURLToPath(import.meta.url);
  const results = VARIANTS.map(() => [] as ChildResult[]);
  for (let round = 0; round < Number(values.rounds); round++) {
    VARIANTS.forEach((v, i) => {
      const args = [...v.flags, '--import', 'tsx', self, '--child', '--interfaces', String(n)];
      args.push('--renders', String(renders), '--features', String(features));
      const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
      results[i]!.push(JSON.parse(r.stdout) as ChildResult);
    });
  }
  const med = (xs: number[]) => quantile(xs, 0.5).toFixed(1);
  console.log(`/metrics render, ${n} interfaces, --metrics-features ${features}, ${renders} renders per process,`);
  console.log(`medians over ${values.rounds} interleaved rounds (${results[0]![0]!.bytes} bytes of text)`);
  console.log('variant                                          first ms  warm ms  CPU ms (all renders)');
  VARIANTS.forEach((v, i) => {
    const rs = results[i]!;
    const row = [med(rs.map((r) => r.firstMs)), med(rs.map((r) => r.warmMs)), med(rs.map((r) => r.cpuMs))];
    console.log(`${v.name.padEnd(48)} ${row[0]!.padStart(8)} ${row[1]!.padStart(8)} ${row[2]!.padStart(8)}`);
  });
  const warm = results.map((rs) =>
    quantile(
      rs.map((r) => r.warmMs),
      0.5,
    ),
  );
  console.log(`warm render, baseline ÷ optimised: ${(warm[0]! / warm[1]!).toFixed(2)}x`);
}

if (values.child) await child();
else main();
