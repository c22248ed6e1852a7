/**
 * Issue 19's cost check: does reading OVSDB make `status` slower?
 *
 *   node --import tsx bench/ovs-status.ts [--pairs 200] [--repeats 9] [--base REV]
 *
 * In a namespace with N veth pairs, interleaved round by round, the median wall time of
 * `offloadctl status --json`:
 *   - base: the CLI of REV (default: git merge-base HEAD main), before OVS support
 *   - no OVS: this tree, no ovsdb-server (OVS_RUNDIR points at an empty folder)
 *   - OVS: this tree, a real ovsdb-server + ovs-vswitchd (userspace datapath) in the namespace,
 *     with one netdev bridge holding half of the veths as ports; and the base CLI on the same host
 * (OVS runs throughout; the no-OVS variants see no socket), and the in-process OVSDB transact time.
 * and, with strace, what the no-OVS run does about OVS: the connect() calls on db.sock.
 * Both CLIs are bundled like scripts/build.mjs into private folders. Needs root and openvswitch-switch;
 * everything happens in a namespace it creates and removes; OVS is stopped by PID.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../src/lab/netns.js';
import { runOk } from '../src/kernel/exec.js';
import { startOvs } from '../test/netns/helpers/ovs-lab.js';
import { readOvsdbTables } from '../src/kernel/ovsdb.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function bundle(srcRoot: string, out: string): Promise<string> {
  await runOk([process.execPath, join(srcRoot, 'scripts/build.mjs'), '--outdir', out]);
  const bin = readFileSync(join(srcRoot, 'bin/offloadctl'), 'utf8')
    .replace(/^#!.*\n/, '')
    .replaceAll('../dist/', './');
  // bin/offloadctl is CommonJS since issue 22 (bin/package.json); an older checkout's was an ES module
  const cli = join(out, /^import /m.test(bin) ? 'cli.mjs' : 'cli.cjs');
  writeFileSync(cli, bin);
  return cli;
}

function timeStatus(ns: string, cli: string, env: Record<string, string>): number {
  const t0 = performance.now();
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, cli, 'status', '--json'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 30,
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`status exited ${r.status}: ${r.stderr.toString().slice(0, 300)}`);
  return ms;
}

const pairs = Number(arg('pairs', '200'));
const repeats = Number(arg('repeats', '9'));
const base = arg('base', spawnSync('git', ['merge-base', 'HEAD', 'main'], { cwd: root }).stdout.toString().trim());
const tmp = mkdtempSync(join(tmpdir(), 'olc-bench-ovs-'));
let ns = '';
let ovs: Awaited<ReturnType<typeof startOvs>> | null = null;
try {
  // The base tree from git, sharing this tree's node_modules.
  const baseSrc = join(tmp, 'base');
  await runOk(['mkdir', '-p', baseSrc]);
  const archive = spawnSync('git', ['archive', base], { cwd: root, maxBuffer: 1 << 30 });
  spawnSync('tar', ['-x', '-C', baseSrc], { input: archive.stdout });
  symlinkSync(join(root, 'node_modules'), join(baseSrc, 'node_modules'));
  const cliBase = await bundle(baseSrc, join(tmp, 'dist-base/'));
  const cliNew = await bundle(root, join(tmp, 'dist-new/'));

  ns = await createNetns(`${uniquePrefix('olbovs')}a`);
  const lines: string[] = [];
  for (let i = 0; i < pairs; i++) lines.push(`link add v${i} type veth peer name p${i}`);
  await ipBatch(ns, lines);
  const noOvs = { OVS_RUNDIR: join(tmp, 'no-ovs') };

  // What the no-OVS run does about OVS: its connect() calls on the socket.
  const st = spawnSync(
    'strace',
    [
      '-f',
      '-e',
      'trace=connect',
      '-o',
      join(tmp, 'strace'),
      'ip',
      'netns',
      'exec',
      ns,
      process.execPath,
      cliNew,
      'status',
      '--json',
    ],
    { env: { ...process.env, ...noOvs }, stdio: 'ignore' },
  );
  const connects =
    st.status === 0
      ? readFileSync(join(tmp, 'strace'), 'utf8')
          .split('\n')
          .filter((l) => l.includes('db.sock'))
      : [];

  // OVS runs for the whole measurement (its own CPU use burdens every variant alike); "no OVS"
  // variants point OVS_RUNDIR at an empty folder, so for them there is no socket.
  ovs = await startOvs(ns);
  const ports = [...Array(pairs >> 1).keys()].flatMap((i) => ['--', 'add-port', 'br0', `v${i}`]);
  await ovs.vsctl('add-br', 'br0', '--', 'set', 'Bridge', 'br0', 'datapath_type=netdev', ...ports);
  const samples: Record<string, number[]> = { base: [], 'no OVS': [], OVS: [], 'base+OVS': [], read: [] };
  // interleaved round by round, so load changes hit every variant alike
  for (let r = 0; r < repeats; r++) {
    samples.base!.push(timeStatus(ns, cliBase, noOvs));
    samples['no OVS']!.push(timeStatus(ns, cliNew, noOvs));
    samples['base+OVS']!.push(timeStatus(ns, cliBase, ovs.env));
    samples.OVS!.push(timeStatus(ns, cliNew, ovs.env));
    const t0 = performance.now();
    const t = await readOvsdbTables(join(ovs.dir, 'db.sock'));
    samples.read!.push(performance.now() - t0);
    if (!t || t.Interface.length < pairs >> 1) throw new Error('OVSDB read short');
  }

  const b = median(samples.base!);
  console.log(
    `offloadctl status --json, ${pairs * 2 + 1} interfaces, ${repeats} repeats (medians; ${new Date().toISOString()})`,
  );
  console.log('variant'.padEnd(34) + 'median ms'.padStart(10) + 'vs base'.padStart(9));
  for (const [k, label] of [
    ['base', `base (${base.slice(0, 7)}, no OVS support)`],
    ['no OVS', 'this tree, no ovsdb-server'],
    ['base+OVS', `base, same host (ignores OVS)`],
    ['OVS', `this tree, OVS: br0 + ${pairs >> 1} ports`],
  ] as const) {
    const m = median(samples[k]!);
    console.log(label.padEnd(34) + m.toFixed(1).padStart(10) + `${(m / b).toFixed(2)}x`.padStart(9));
  }
  console.log(`in-process OVSDB transact (Bridge/Port/Interface): median ${median(samples.read!).toFixed(1)} ms`);
  console.log(
    `no-OVS run, connect() on db.sock: ${connects.length} (${connects.map((l) => l.replace(/^\d+\s+/, '').trim()).join('; ') || 'strace unavailable'})`,
  );
} finally {
  if (ovs) await ovs.stop();
  if (ns) await deleteNetns(ns);
  rmSync(tmp, { recursive: true, force: true });
}
