/**
 * Issue 21's recorder cost: memory and CPU of sampling 1,000 interfaces every second.
 *
 *   node --import tsx bench/effect-recorder.ts [--interfaces 1000] [--samples 200] [--hours 1] [--repeats 5]
 *
 * Builds a namespace with N/2 veth pairs (N interfaces) and, inside it (one child process under
 * `ip netns exec`), measures side by side per sample, medians over repeats:
 *   - the recorder's sample: one read of /proc/net/dev, /proc/stat, /proc/softirqs, parse, deltas;
 *   - `cat /proc/net/dev` and `ip -s -j link show` as processes (what a shell script would run);
 * and the ring's memory for one hour at 1 s: every interface moving every second (the worst case:
 * synthetic readings through the real Recorder) and the namespace's real, idle counters.
 * Needs root; the namespace is removed afterwards.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../src/lab/netns.js';
import { readHostCounters, type HostCounters } from '../src/kernel/host-counters.js';
import { Recorder } from '../src/effect/recorder.js';

const here = fileURLToPath(import.meta.url);
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface ChildResult {
  interfaces: number;
  recorderCpuMs: number[];
  recorderWallMs: number[];
  catWallMs: number[];
  ipWallMs: number[];
  worstBytesPerHour: number;
  worstHeapPerHour: number;
  idleBytesPerHour: number;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function child(): Promise<void> {
  const samples = arg('samples', 200);
  const repeats = arg('repeats', 5);
  const hours = arg('hours', 1);
  const res: ChildResult = {
    interfaces: 0,
    recorderCpuMs: [],
    recorderWallMs: [],
    catWallMs: [],
    ipWallMs: [],
    worstBytesPerHour: 0,
    worstHeapPerHour: 0,
    idleBytesPerHour: 0,
  };
  const first = await readHostCounters();
  res.interfaces = first.links.size;
  for (let r = 0; r < repeats; r++) {
    const rec = new Recorder({ intervalMs: 1000, capacity: 3600, read: readHostCounters, hostname: 'b', netns: null });
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < samples; i++) await rec.sampleOnce();
    const c = process.cpuUsage(c0);
    res.recorderWallMs.push((performance.now() - t0) / samples);
    res.recorderCpuMs.push((c.user + c.system) / 1000 / samples);
    for (const [argv, out] of [
      [['cat', '/proc/net/dev'], res.catWallMs],
      [['ip', '-s', '-j', 'link', 'show'], res.ipWallMs],
    ] as const) {
      const t = performance.now();
      for (let i = 0; i < 20; i++) spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
      out.push((performance.now() - t) / 20);
    }
  }
  // Memory: an hour at 1 s with every interface's counters moving each second (synthetic readings).
  const n = res.interfaces;
  const names = [...first.links.keys()];
  const cum = names.map(() => [0, 0, 0, 0, 0, 0]);
  const reading = (t: number): HostCounters => {
    for (const c of cum) {
      c[0]! += 1_234_567;
      c[1]! += 7_654_321;
      c[2]! += 900;
      c[3]! += 5000;
    }
    return {
      at: t,
      links: new Map(names.map((nm, i) => [nm, Float64Array.from(cum[i]!)])),
      cpu: new Float64Array(8),
      netRx: 0,
      netTx: 0,
    };
  };
  gc();
  const mem = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const h0 = mem();
  const worst = new Recorder({
    intervalMs: 1000,
    capacity: 3600 * hours,
    read: async () => reading(0),
    hostname: 'b',
    netns: null,
  });
  for (let s = 0; s <= 3600 * hours; s++) worst.add(reading(s * 1000));
  gc();
  res.worstHeapPerHour = (mem() - h0) / hours;
  res.worstBytesPerHour = worst.storedBytes() / hours;
  const idle = new Recorder({ intervalMs: 1000, capacity: 3600, read: readHostCounters, hostname: 'b', netns: null });
  for (let s = 0; s < 50; s++) await idle.sampleOnce();
  res.idleBytesPerHour = (idle.storedBytes() / Math.max(1, idle.sampleCount)) * 3600;
  process.stdout.write(JSON.stringify(res) + '\n');
  void n;
}

async function main(): Promise<void> {
  const n = arg('interfaces', 1000);
  const ns = await createNetns(`${uniquePrefix('oeb')}a`);
  try {
    const lines: string[] = [];
    for (let i = 0; i < n / 2; i++) lines.push(`link add e${i}a type veth peer name e${i}b`);
    await ipBatch(ns, lines);
    const args = process.argv.slice(2).filter((a) => a !== '--child');
    const r = spawnSync(
      'ip',
      ['netns', 'exec', ns, process.execPath, '--expose-gc', '--import', 'tsx', here, '--child', ...args],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    if (r.status !== 0) throw new Error(r.stderr);
    const c = JSON.parse(r.stdout) as ChildResult;
    const mb = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
    const ms = (x: number[]) => `${median(x).toFixed(2)} ms`;
    const load = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim();
    console.log(
      `effect recorder, ${c.interfaces} interfaces in one namespace (${new Date().toISOString()}, load ${load})`,
    );
    console.log(`per sample (median of ${c.recorderCpuMs.length} repeats):`);
    console.log(
      `  recorder (read /proc/net/dev + /proc/stat + /proc/softirqs, deltas): wall ${ms(c.recorderWallMs)}, CPU ${ms(c.recorderCpuMs)}`,
    );
    console.log(`    → at one sample a second: ${(median(c.recorderCpuMs) / 10).toFixed(2)}% of one CPU`);
    console.log(
      `  cat /proc/net/dev (a process):     wall ${ms(c.catWallMs)}  (${(median(c.catWallMs) / median(c.recorderWallMs)).toFixed(1)}x the recorder)`,
    );
    console.log(
      `  ip -s -j link show (a process):    wall ${ms(c.ipWallMs)}  (${(median(c.ipWallMs) / median(c.recorderWallMs)).toFixed(1)}x the recorder)`,
    );
    console.log(`memory per hour at 1 s:`);
    console.log(
      `  every interface moving every second: ${mb(c.worstBytesPerHour)} in the samples' arrays, ${mb(c.worstHeapPerHour)} of heap + array buffers in all (process.memoryUsage)`,
    );
    console.log(`  this namespace's real (idle) counters: ${mb(c.idleBytesPerHour)}`);
  } finally {
    await deleteNetns(ns);
  }
}

if (process.argv.includes('--child')) await child();
else await main();
