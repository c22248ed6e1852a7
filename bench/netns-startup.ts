/**
 * What `--netns` costs at start-up: `offloadctl --netns NS status` (the wrapper re-executes itself
 * under `ip netns exec`, src/kernel/reexec.ts) vs plain `ip netns exec NS offloadctl status`, and,
 * with --before DIR, the same two for another build (e.g. main, built in a copy: DIR/bin/offloadctl).
 *
 *   node --import tsx bench/netns-startup.ts [--runs 30] [--before /tmp/olc-main]
 *
 * Needs root, hyperfine and a built CLI. A namespace with a bridge and 4 taps is created and removed.
 * Prints medians of wall time and of CPU time (user+sys, less sensitive to a loaded machine), and
 * ratios against plain `ip netns exec`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../src/lab/netns.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg('runs') ?? 30);
const BEFORE = arg('before');
const HERE = fileURLToPath(new URL('../bin/offloadctl', import.meta.url));

interface Row {
  name: string;
  wall: number;
  cpu: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const ns = await createNetns(`${uniquePrefix('nsbench')}hv`);
const out = join(tmpdir(), `netns-startup-${process.pid}.json`);
try {
  await ipBatch(ns, [
    'link add br0 type bridge',
    ...[0, 1, 2, 3].flatMap((i) => [`tuntap add mode tap vnet_hdr name vnet${i}`, `link set vnet${i} master br0`]),
  ]);
  const cmds: [string, string][] = [];
  const add = (label: string, bin: string) => {
    cmds.push([`${label} --netns NS status`, `${process.execPath} ${bin} --netns ${ns} status`]);
    cmds.push([`${label} ip netns exec NS status`, `ip netns exec ${ns} ${process.execPath} ${bin} status`]);
  };
  if (BEFORE) add('before:', join(BEFORE, 'bin/offloadctl'));
  add(BEFORE ? 'after: ' : '', HERE);
  const hf = spawnSync(
    'hyperfine',
    ['-N', '--warmup', '3', '--runs', String(RUNS), '--export-json', out, ...cmds.flatMap(([n, c]) => ['-n', n, c])],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (hf.status !== 0) throw new Error(`hyperfine exited ${hf.status}`);
  const res = JSON.parse(readFileSync(out, 'utf8')) as {
    results: { command: string; times: number[]; user: number; system: number }[];
  };
  const rows: Row[] = res.results.map((r) => ({
    name: r.command,
    wall: median(r.times) * 1000,
    // hyperfine exports mean user/system only
    cpu: (r.user + r.system) * 1000,
  }));
  console.log(
    `# ${new Date().toISOString()}, ${cpus().length} CPUs (${cpus()[0]?.model}), load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}, ${RUNS} runs each`,
  );
  console.log(
    'command                                   median wall   mean CPU (user+sys)   wall / plain ip netns exec',
  );
  for (let i = 0; i < rows.length; i += 2) {
    const wrap = rows[i]!;
    const plain = rows[i + 1]!;
    for (const r of [wrap, plain]) {
      console.log(
        `${r.name.padEnd(42)}${r.wall.toFixed(0).padStart(8)} ms${r.cpu.toFixed(0).padStart(14)} ms${(r.wall / plain.wall).toFixed(2).padStart(20)}x`,
      );
    }
  }
} finally {
  rmSync(out, { force: true });
  await deleteNetns(ns);
}
