/**
 * Does scraping /metrics slow enforcement? A burst of new taps, enforced by `offloadctl agent` in
 * a namespace of its own, with and without continuous scrapers (SCRAPERS shell loops of
 * `curl /metrics`, back to back, inside the namespace), for one or two builds of the CLI side by
 * side (issue 14 item 7: the agent before and after /metrics was throttled to one render a second).
 *
 *   node --import tsx bench/agent-scrape.ts [--taps 500] [--repeats 3] [--scrapers 4] [--bin A --bin B ...]
 *
 * --bin: bin/offloadctl of a build (default: this worktree's); e.g. an older commit exported with
 * `git archive` and built with `node scripts/build.mjs` in its folder.
 * Delay per tap = the agent's "enforce" log line time (it has the kernel's FEATURES_SET reply and
 * verified the tap) − the start of the `ip -batch` that created the taps. Then `ethtool --json -k`
 * checks every tap (the oracle). Needs root; everything happens in namespaces this script creates.
 * Prints medians over repeats of each run's p50, p99 and max delay, and the ratios to no scraping.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetns, deleteNetns, ipBatch, nsRun, uniquePrefix } from '../src/lab/netns.js';
import { nonCompliant, oracle, sleep, waitFor } from '../test/netns/agent-harness.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const TAPS = arg('taps', 500);
const REPEATS = arg('repeats', 3);
const SCRAPERS = arg('scrapers', 4);
const BINS = process.argv.flatMap((a, i) => (a === '--bin' ? [process.argv[i + 1]!] : []));
if (BINS.length === 0) BINS.push(fileURLToPath(new URL('../bin/offloadctl', import.meta.url)));

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]! : NaN;
}
const median = (xs: number[]) => quantile(xs, 0.5);

async function startAgent(
  bin: string,
  ns: string,
  port: number,
): Promise<{ child: ChildProcess; logs: string[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'olc-scrape-'));
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      process.execPath,
      bin,
      'agent',
      '--listen',
      `127.0.0.1:${port}`,
      '--state-dir',
      join(dir, 'state'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const logs: string[] = [];
  let buf = '';
  child.stderr!.on('data', (b: Buffer) => {
    buf += b.toString('utf8');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      logs.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  await waitFor(
    async () =>
      (await nsRun(ns, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/healthz`]))
        .stdout === '200',
    20_000,
    'agent healthy',
    100,
  );
  return { child, logs, dir };
}

/** SCRAPERS loops of curl in their own process group each (stopped by that group's id: ours). */
function startScrapers(ns: string, port: number, n: number): ChildProcess[] {
  return Array.from({ length: n }, () =>
    spawn(
      'ip',
      ['netns', 'exec', ns, 'sh', '-c', `while :; do curl -s -o /dev/null http://127.0.0.1:${port}/metrics; done`],
      { detached: true, stdio: 'ignore' },
    ),
  );
}

async function stopGroup(c: ChildProcess): Promise<void> {
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  try {
    process.kill(-c.pid, 'SIGTERM');
  } catch {
    /* gone */
  }
  await gone;
}

interface Run {
  p50: number;
  p99: number;
  max: number;
}

async function once(bin: string, scrapers: number): Promise<Run> {
  const ns = await createNetns(`${uniquePrefix('scr')}a`);
  let agent: Awaited<ReturnType<typeof startAgent>> | null = null;
  const loops: ChildProcess[] = [];
  try {
    const port = 9469;
    agent = await startAgent(bin, ns, port);
    // the metrics text grows with managed interfaces: start with TAPS taps the agent already knows
    await ipBatch(
      ns,
      [...Array(TAPS).keys()].map((i) => `tuntap add dev old${i} mode tap`),
    );
    await waitFor(
      async () => agent!.logs.filter((l) => l.includes('"msg":"enforce"')).length >= TAPS,
      60_000,
      'warm-up taps enforced',
      200,
    );
    loops.push(...startScrapers(ns, port, scrapers));
    await sleep(1000);
    const before = agent.logs.length;
    const t0 = Date.now();
    await ipBatch(
      ns,
      [...Array(TAPS).keys()].map((i) => `tuntap add dev new${i} mode tap`),
    );
    const names = [...Array(TAPS).keys()].map((i) => `new${i}`);
    const done = new Map<string, number>();
    await waitFor(
      async () => {
        for (const l of agent!.logs.slice(before)) {
          const m = /"time":"([^"]+)","level":"info","msg":"enforce".*"interface":"(new\d+)"/.exec(l);
          if (m && !done.has(m[2]!)) done.set(m[2]!, Date.parse(m[1]!));
        }
        return done.size >= TAPS;
      },
      120_000,
      'burst enforced',
      100,
    );
    for (const l of loops) await stopGroup(l);
    const bad = nonCompliant(await oracle(ns), names);
    if (bad.length) throw new Error(`oracle: not compliant: ${bad.slice(0, 5).join(' ')}`);
    const delays = names.map((n) => done.get(n)! - t0);
    return { p50: quantile(delays, 0.5), p99: quantile(delays, 0.99), max: Math.max(...delays) };
  } finally {
    for (const l of loops) await stopGroup(l);
    if (agent) {
      const gone = new Promise((r) => agent!.child.once('exit', r));
      if (agent.child.exitCode === null) agent.child.kill('SIGTERM');
      await gone;
      rmSync(agent.dir, { recursive: true, force: true });
    }
    await deleteNetns(ns);
  }
}

const rows: { bin: string; scrapers: number; p50: number; p99: number; max: number }[] = [];
for (const bin of BINS) {
  for (const scrapers of [0, SCRAPERS]) {
    const runs: Run[] = [];
    for (let r = 0; r < REPEATS; r++) runs.push(await once(bin, scrapers));
    rows.push({
      bin,
      scrapers,
      p50: median(runs.map((x) => x.p50)),
      p99: median(runs.map((x) => x.p99)),
      max: median(runs.map((x) => x.max)),
    });
    process.stderr.write(`done: ${bin} scrapers=${scrapers}: ${runs.map((x) => `p99 ${x.p99} ms`).join(', ')}\n`);
  }
}
process.stdout.write(
  `agent-scrape: ${TAPS} new taps (with ${TAPS} known ones), ${REPEATS} repeats, medians; ${new Date().toISOString()}, ${cpus().length} CPUs, load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}\n`,
);
process.stdout.write(
  `${'build'.padEnd(44)} ${'scrapers'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'p99 vs none'.padStart(12)}\n`,
);
for (const r of rows) {
  const base = rows.find((x) => x.bin === r.bin && x.scrapers === 0)!;
  process.stdout.write(
    `${r.bin.slice(-44).padEnd(44)} ${String(r.scrapers).padStart(8)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(8)} ${String(r.max).padStart(8)} ${(r.p99 / base.p99).toFixed(2).padStart(11)}x\n`,
  );
}
