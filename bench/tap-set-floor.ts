/**
 * The kernel's own share of the agent's per-port work: what does one FEATURES_SET on a fresh tap
 * cost in system CPU, with nothing of the agent around it?
 *
 *   node --import tsx bench/tap-set-floor.ts [--taps 500] [--repeats 5] [--listeners 0|1]
 *
 * Per repeat: `ip -batch` creates N taps in a namespace this script creates (removed afterwards,
 * also on failure); then, inside the namespace, one process sends the agent's FEATURES_SET (the
 * default profile tso-gso-off, as planned for a fresh tap) to every tap through the agent's own
 * FeatureSetter (by ifindex, with its reply, pipelined) and reports its user and system CPU
 * (process.cpuUsage) around the N sets. A netlink request is processed in the sender's sendmsg(),
 * so the system CPU is the kernel's work for the sets: netdev_update_features, the RTM_NEWLINK and
 * FEATURES_NTF notifications it multicasts, the reply. `--listeners 1`: an `ip monitor link`
 * listens in the namespace meanwhile, as the agent's own monitor and bench/agent-burst.ts's observer
 * do (each listener costs the sender a copy of every notification).
 * Compare with bench/agent-burst.ts's "CPU ms" per tap: the rest is the agent's user-space work.
 * Needs root.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../src/lab/netns.js';
import { median } from '../src/bench/stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const opt = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

/** Inside the namespace: plan tso-gso-off for every tap, then time the sets. One JSON line. */
async function inner(): Promise<void> {
  const [{ openKernel }, { loadPolicy }, { observeAndPlan }, { FeatureSetter }] = await Promise.all([
    import('../src/kernel/index.js'),
    import('../src/policy/index.js'),
    import('../src/apply/pipeline.js'),
    import('../src/kernel/netlink/feature-setter.js'),
  ]);
  const kernel = await openKernel({ backend: 'netlink' });
  const setter = await FeatureSetter.open();
  try {
    const p = await observeAndPlan(kernel, { policy: loadPolicy({ profile: 'tso-gso-off' }), interfaces: [] });
    const changes = p.plan.changes.filter((c) => c.ifname.startsWith('t'));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const replies = await Promise.all(changes.map((c) => setter.set({ index: c.ifindex, name: c.ifname }, c.set)));
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const notApplied = replies.filter((r) => r.notApplied.length).length;
    process.stdout.write(
      JSON.stringify({
        sets: changes.length,
        features: Object.keys(changes[0]?.set ?? {}).length,
        userMs: c.user / 1000,
        sysMs: c.system / 1000,
        wallMs,
        notApplied,
      }) + '\n',
    );
  } finally {
    setter.close();
    kernel.close();
  }
}

async function outer(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('tap-set-floor: needs root');
  const taps = opt('taps', 500);
  const repeats = opt('repeats', 5);
  const listeners = opt('listeners', 0);
  const ns = await createNetns(`${uniquePrefix('btsf')}a`);
  const runs: Array<{
    sets: number;
    features: number;
    userMs: number;
    sysMs: number;
    wallMs: number;
    notApplied: number;
  }> = [];
  try {
    for (let r = 0; r < repeats; r++) {
      const names = [...Array(taps).keys()].map((i) => `t${i}`);
      await ipBatch(
        ns,
        names.map((n) => `tuntap add dev ${n} mode tap`),
      );
      const mon =
        listeners > 0
          ? spawn('ip', ['netns', 'exec', ns, 'ip', 'monitor', 'link'], { stdio: ['ignore', 'ignore', 'ignore'] })
          : null;
      try {
        if (mon) await new Promise((res) => setTimeout(res, 300));
        const x = spawnSync(
          'ip',
          ['netns', 'exec', ns, process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--inner'],
          { cwd: ROOT, encoding: 'utf8' },
        );
        if (x.status !== 0) throw new Error(`inner failed: ${x.stderr.slice(0, 500)}`);
        runs.push(JSON.parse(x.stdout.trim().split('\n').at(-1)!));
      } finally {
        if (mon) {
          mon.kill();
          await new Promise((res) => mon.once('exit', res));
        }
      }
      await ipBatch(
        ns,
        names.map((n) => `link del ${n}`),
      );
    }
  } finally {
    await deleteNetns(ns);
  }
  const m = (k: 'userMs' | 'sysMs' | 'wallMs') => median(runs.map((x) => x[k]));
  const per = (v: number) => (v / taps).toFixed(3);
  console.log(
    `tap-set-floor: ${taps} fresh taps, ${runs[0]?.features} features per FEATURES_SET, ${repeats} repeats, ${listeners} extra link listener(s); ${new Date().toISOString()}`,
  );
  console.log(
    `  per repeat: ${runs.map((x) => `sys ${x.sysMs.toFixed(0)} user ${x.userMs.toFixed(0)} ms`).join(' | ')}`,
  );
  console.log(
    `  median: system ${m('sysMs').toFixed(1)} ms (${per(m('sysMs'))} ms/port), user ${m('userMs').toFixed(1)} ms (${per(m('userMs'))} ms/port), wall ${m('wallMs').toFixed(1)} ms`,
  );
  console.log(`  (CPU time is charged in scheduler ticks unless the kernel accounts precisely: medians over repeats)`);
}

if (process.argv.includes('--inner')) await inner();
else await outer();
