/**
 * How fast does a new VM port get its offloads set? The agent vs a udev-style baseline
 * (`ip monitor link` piped into `ethtool -K` per new device, the way a RUN+= rule or a shell loop
 * does it), on the same burst of new taps, in the same run. Then the agent's memory with many
 * interfaces, and after many create/delete cycles.
 *
 *   node --import tsx bench/agent-burst.ts [--taps 500] [--repeats 3] [--rt 1] [--observer-rt 2] [--pace MS] [--many 5000] [--cycles 20000] [--cpu-prof DIR] [--kernel-observer] [--poll-oracle] [--warm N] [--per-tap PREFIX] [--agent-node-args "ARGS"] [--agent-args "ARGS"] [--memory-rt] [--page]
 *
 * Each method runs in the normal scheduling class and, with --rt PRIO (default 1: how the systemd
 * unit runs the agent), once more SCHED_FIFO at PRIO; the observer runs SCHED_FIFO above both.
 *
 * Needs root and a built CLI (npm run build). Everything happens in namespaces this script creates.
 * Delay = time an independent observer (`ip -ts monitor link` in the namespace) saw the link appear
 * → time the method reports the device done (agent: the `time` field of its JSON "enforce" log
 * line, stamped when the agent has the kernel's FEATURES_SET reply and has verified the link from
 * it; the line reaches stderr at the end of that turn of its event loop; baseline: after
 * `ethtool -K` returned). Once a method has reported every tap done, `ethtool --json -k '*'` checks
 * them all (not polled during the burst: see --poll-oracle); "all done" is that moment.
 * With --kernel-observer, a second delay, the same for both methods, ends when the kernel itself first announced the
 * device compliant: the FEATURES_NTF that follows the set, seen by bench/feature-observer.ts in
 * the namespace — when the port is compliant, whatever the method still does before it says so
 * (off by default: one more process decoding every event perturbs a 2-CPU machine).
 * `--cpu-prof DIR`: V8 CPU profiles of the agent and its monitor process (slows the agent down).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../src/lab/netns.js';
import {
  metricValue,
  metricsText,
  nonCompliant,
  oracle,
  sleep,
  startAgent,
  waitFor,
} from '../test/netns/agent-harness.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const TAPS = arg('taps', 500);
const REPEATS = arg('repeats', 3);
const MANY = arg('many', 5000);
const CYCLES = arg('cycles', 20000);
/** 0: all taps in one `ip -batch` as fast as it goes; N: one tap every N ms (VMs starting at a steady rate). */
const PACE = arg('pace', 0);
/** --warm N: before the measured burst, N taps are created and deleted (the method has seen a tap before). */
const WARM = arg('warm', 0);
/** --kernel-observer: also time the kernel's own FEATURES_NTF (one more process decoding events: it perturbs a 2-CPU machine). */
const KERNEL_OBSERVER = process.argv.includes('--kernel-observer');
/** --poll-oracle: decide "all compliant" by polling `ethtool --json -k '*'` every 100 ms during the burst (the old way; perturbs the burst). */
const POLL_ORACLE = process.argv.includes('--poll-oracle');
/** --per-tap PREFIX: per repeat, a CSV PREFIX.METHOD.N.csv of each tap's times (created, read by the agent, done; epoch ms). */
const PER_TAP = (() => {
  const i = process.argv.indexOf('--per-tap');
  return i > 0 ? process.argv[i + 1] : undefined;
})();
let perTapRun = 0;
/**
 * --rt PRIO (default 1, as the systemd unit runs the agent): each method is also measured running
 * SCHED_FIFO at PRIO (`chrt -f PRIO`: the agent and all its threads; the baseline's shell and the
 * ip/ethtool it starts). 0: only the normal scheduling class.
 */
const RT = arg('rt', 1);
/**
 * --observer-rt PRIO (default 2): the creation observer (`ip monitor`) runs SCHED_FIFO at PRIO,
 * above the methods. It stamps each event when it reads it (iproute2 print_timestamp), so an
 * observer waiting for a CPU would start the clock late and flatter the method; at real-time
 * priority it reads each event as soon as the kernel queues it. 0: normal scheduling.
 */
const OBSERVER_RT = arg('observer-rt', 2);

/** --memory-rt: the memory part's agent runs SCHED_FIFO (at --rt, default 1) as under its unit. */
const MEMORY_RT = process.argv.includes('--memory-rt');

/**
 * --page: one more method, the agent (normal class) with its page open in headless Chromium for the
 * whole burst (SSE stream connected, live rows and events flowing): does the page slow enforcement?
 * Chromium runs at nice 19 in a namespace of its own, reaching the agent over a veth pair (the
 * agent listens on 0.0.0.0 with --allow-remote and its token), as an operator's browser would from
 * elsewhere: a Chromium inside the agent's namespace itself reacts to every new link there (its
 * network-change tracker reads the rtnetlink events), which slowed even the `ip -batch` creating the
 * taps 2.7x in a first measurement — a cost of that test setup, not of the page. The agent's CPU
 * column includes everything the page costs the agent.
 */
const PAGE = process.argv.includes('--page');

type Method = 'agent' | 'baseline' | 'agent-rt' | 'baseline-rt' | 'agent-page';
const METHODS: Method[] = [
  ...(RT > 0 ? (['agent', 'baseline', 'agent-rt', 'baseline-rt'] as const) : (['agent', 'baseline'] as const)),
  ...(PAGE ? (['agent-page'] as const) : []),
];
const kindOf = (m: Method) => (m.startsWith('agent') ? 'agent' : 'baseline');
const chrtOf = (m: Method) => (m.endsWith('-rt') ? ['chrt', '-f', String(RT)] : []);
const LABEL: Record<Method, string> = {
  agent: 'offloadctl agent',
  baseline: 'ip monitor | ethtool -K (udev-style)',
  'agent-rt': `offloadctl agent, SCHED_FIFO ${RT}`,
  'baseline-rt': `udev-style, SCHED_FIFO ${RT}`,
  'agent-page': 'offloadctl agent, its page open',
};
/** --agent-node-args "ARGS": extra node options for the agent (space-separated, e.g. "--trace-gc"). */
const AGENT_NODE_ARGS = (() => {
  const i = process.argv.indexOf('--agent-node-args');
  return i > 0 ? process.argv[i + 1]!.split(/\s+/).filter(Boolean) : [];
})();
/** --agent-args "ARGS": extra `offloadctl agent` options for the burst's agent (e.g. "--record-interval 0"). */
const AGENT_ARGS = (() => {
  const i = process.argv.indexOf('--agent-args');
  return i > 0 ? process.argv[i + 1]!.split(/\s+/).filter(Boolean) : [];
})();
/** Write V8 CPU profiles of the agent and its monitor process (one per process and burst) into DIR. */
const CPU_PROF = (() => {
  const i = process.argv.indexOf('--cpu-prof');
  return i > 0 ? process.argv[i + 1] : undefined;
})();

/** How many of names the method has reported done so far (agent: "enforce" log lines). */
function reported(
  method: 'agent' | 'baseline',
  logs: string[] | undefined,
  done: Map<string, number> | undefined,
  names: string[],
): number {
  if (method === 'baseline') return names.filter((n) => done?.has(n)).length;
  const seen = new Set<string>();
  for (const l of logs ?? []) {
    const m = /"msg":"enforce".*"interface":"([^"]+)"/.exec(l);
    if (m) seen.add(m[1]!);
  }
  return names.filter((n) => seen.has(n)).length;
}

/** Feed `ip -batch` one line every paceMs (one process, so the pace is not fork-bound). */
async function pacedBatch(ns: string, lines: string[], paceMs: number): Promise<void> {
  const child = spawn('ip', ['-n', ns, '-batch', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
  const done = new Promise((r) => child.once('exit', r));
  for (const l of lines) {
    child.stdin.write(l + '\n');
    await sleep(paceMs);
  }
  child.stdin.end();
  await done;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
const median = (xs: number[]) => quantile(xs, 0.5);

/** `ip -ts -o monitor link` in ns: device → first time it was seen (epoch ms). */
function observer(ns: string) {
  const cmd = ['ip', '-n', ns, '-ts', '-o', 'monitor', 'link'];
  const argv = OBSERVER_RT > 0 ? ['chrt', '-f', String(OBSERVER_RT), ...cmd] : cmd;
  const child = spawn(argv[0]!, argv.slice(1), {
    env: { ...process.env, TZ: 'UTC' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const first = new Map<string, number>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    const m = /^\[([^\]]+)\] (Deleted )?\d+: ([^:@\s]+)/.exec(line);
    if (m && !m[2] && !first.has(m[3]!)) first.set(m[3]!, Date.parse(m[1]! + 'Z'));
  });
  return { first, stop: () => child.kill('SIGTERM') };
}

/**
 * bench/feature-observer.ts in ns: device → when the kernel's FEATURES_NTF first showed it compliant
 * (epoch ms). Resolves once it listens.
 */
async function featureObserver(ns: string) {
  const script = fileURLToPath(new URL('./feature-observer.ts', import.meta.url));
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const compliantAt = new Map<string, number>();
  let ready: () => void = () => {};
  const listening = new Promise<void>((r) => (ready = r));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'ready') ready();
    const [dev, t] = line.split(' ');
    if (dev && t) compliantAt.set(dev, Number(t));
  });
  const exited = new Promise((r) => child.once('exit', r));
  await Promise.race([listening, exited.then(() => Promise.reject(new Error('feature observer exited')))]);
  return {
    compliantAt,
    stop: async () => {
      child.stdin.end(); // it exits when stdin closes
      await exited;
    },
  };
}

/** The udev-style baseline: one `ethtool -K` per new device, in arrival order. */
const BASELINE = `
declare -A seen
ip -o monitor link | while read -r line; do
  case "$line" in Deleted*) continue;; esac
  dev=\${line#*: }; dev=\${dev%%:*}; dev=\${dev%%@*}
  [ -n "\${seen[$dev]}" ] && continue
  seen[$dev]=1
  ethtool -K "$dev" tso off gso off 2>/dev/null
  echo "$dev $EPOCHREALTIME"
done`;

function startBaseline(ns: string, rt: string[]) {
  const child = spawn('ip', ['netns', 'exec', ns, ...rt, 'bash', '-c', BASELINE], {
    stdio: ['ignore', 'pipe', 'ignore'],
    detached: true,
  });
  const done = new Map<string, number>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [dev, t] = line.split(' ');
    if (dev && t) done.set(dev, Number(t) * 1000);
  });
  // bash and its `ip monitor` form a process group of their own: end exactly that group
  const exited = new Promise((r) => child.once('exit', r));
  return {
    done,
    stop: async () => {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
      await exited;
    },
  };
}

interface Run {
  p50: number;
  p99: number;
  /** creation → the kernel's first FEATURES_NTF showing the device compliant (feature-observer.ts) */
  kp50: number;
  kp99: number;
  max: number;
  allMs: number;
  n: number;
  /** CPU time the method used for the burst (user+system, ms). */
  cpuMs: number;
  /** Agent only: of cpuMs, the part of its main process (the rest is its monitor process). */
  mainCpuMs?: number;
  /** Of mainCpuMs, the part spent in the kernel (system time: netlink syscalls, the SETs' own work). */
  mainSysMs?: number;
  /** CPU time of the `ip -batch` that created the taps, and how long it ran (ms). */
  ipCpuMs: number;
  createMs: number;
  /** Share of all CPUs busy from the first creation until the method reported all done (0..1). */
  machineBusy: number;
}

const TICK_MS = 10; // USER_HZ 100: /proc/PID/stat times are in 10 ms ticks
/** utime+stime (fields 14, 15) of pid, or cutime+cstime (16, 17: waited-for children) — ms; `only`: one of the two. */
function cpuOf(pid: number | 'self', children = false, only?: 'user' | 'system'): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const i = children ? 13 : 11; // after the comm field: state=0, ... utime=11, stime=12, cutime=13, cstime=14
    if (only) return Number(f[only === 'user' ? i : i + 1]) * TICK_MS;
    return (Number(f[i]) + Number(f[i + 1])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** The agent's page in headless Chromium (nice 19) in a namespace of its own, a veth away; loaded and streaming. */
async function openPage(ns: string, port: number): Promise<{ close(): Promise<void>; taps(): Promise<number> }> {
  const { launchInNetns } = await import('../test/netns/ui/browser.js');
  const bns = await createNetns(`${ns.slice(0, -1)}b`);
  try {
    await ipBatch(ns, [
      `link add uiv0 type veth peer name uiv1 netns ${bns}`,
      'addr add 10.231.0.1/30 dev uiv0',
      'link set uiv0 up',
    ]);
    await ipBatch(bns, ['addr add 10.231.0.2/30 dev uiv1', 'link set uiv1 up']);
    process.env.OLC_UI_NICE = '19';
    const b = await launchInNetns(bns);
    const p = await b.context.newPage();
    await p.goto(`http://10.231.0.1:${port}/`);
    await p.waitForFunction(() => document.body.dataset.firstRender !== undefined, null, { timeout: 30_000 });
    return {
      close: async () => {
        await b.close();
        await deleteNetns(bns);
      },
      taps: () => p.locator('#matrix tr[data-ifname^="tap"]').count(),
    };
  } catch (e) {
    await deleteNetns(bns);
    throw e;
  }
}

async function burst(
  method: Method,
): Promise<Run & { internalP50?: number; internalP99?: number; readP50?: number; readP99?: number }> {
  const ns = await createNetns(`${uniquePrefix('abench')}a`);
  const names = [...Array(TAPS).keys()].map((i) => `tap${i}`);
  let page: Awaited<ReturnType<typeof openPage>> | null = null;
  try {
    const kind = kindOf(method);
    const pageArgs = method === 'agent-page' ? ['--listen', '0.0.0.0:9469', '--allow-remote'] : [];
    const agent =
      kind === 'agent'
        ? await startAgent(ns, ['--log-level', 'info', ...pageArgs, ...AGENT_ARGS], {
            wrap: chrtOf(method),
            nodeArgs: [
              ...AGENT_NODE_ARGS,
              ...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', CPU_PROF] : []),
            ],
          })
        : null;
    const base = kind === 'baseline' ? startBaseline(ns, chrtOf(method)) : null;
    page = method === 'agent-page' ? await openPage(ns, agent!.port) : null;
    const obs = observer(ns);
    const fobs = KERNEL_OBSERVER ? await featureObserver(ns) : null;
    await sleep(400); // monitors subscribed
    if (WARM > 0) {
      const warm = [...Array(WARM).keys()].map((i) => `warm${i}`);
      await ipBatch(
        ns,
        warm.map((n) => `tuntap add dev ${n} mode tap`),
      );
      await sleep(500);
      await ipBatch(
        ns,
        warm.map((n) => `link del ${n}`),
      );
      await sleep(300);
    }
    const agentPids = agent ? [agent.child.pid!, ...childrenOf(agent.child.pid!)] : [];
    const cpu0 = agent ? agentPids.reduce((a, p) => a + cpuOf(p), 0) : cpuOf('self', true);
    const main0 = agent ? cpuOf(agentPids[0]!) : 0;
    const sys0 = agent ? cpuOf(agentPids[0]!, false, 'system') : 0;
    const t0 = Date.now();
    const m0 = machineTicks();
    const kids0 = cpuOf('self', true);
    const lines = names.map((n) => `tuntap add dev ${n} mode tap`);
    if (PACE > 0) await pacedBatch(ns, lines, PACE);
    else await ipBatch(ns, lines);
    const ipCpuMs = cpuOf('self', true) - kids0;
    const createMs = Date.now() - t0;
    // Wait for the method's own "done" reports, then check them once against the oracle. Polling
    // the oracle during the burst (`ethtool --json -k '*'`: ~4 MB of JSON for 500 taps, ~30 ms of
    // CPU for ethtool and as much again to parse it here, every 100 ms) took a CPU from whichever
    // method was being measured, on a 2-CPU machine. --poll-oracle restores that old way.
    if (POLL_ORACLE)
      await waitFor(
        async () => nonCompliant(await oracle(ns), names).length === 0,
        120_000,
        `${method}: all compliant`,
        100,
      );
    else
      await waitFor(
        async () => reported(kind, agent?.logs, base?.done, names) >= names.length,
        120_000,
        `${method}: all reported done`,
        20,
      ).catch(() => {});
    const allMs = Date.now() - t0;
    const m1 = machineTicks();
    const machineBusy = (m1.busy - m0.busy) / Math.max(1, m1.total - m0.total);
    const bad = nonCompliant(await oracle(ns), names);
    if (bad.length > 0)
      throw new Error(
        `${method}: ${bad.length} taps not compliant by the oracle after the method reported them done: ${bad.slice(0, 5).join(' ')}`,
      );
    await sleep(200);
    obs.stop();
    await fobs?.stop();
    let cpuMs = 0;
    let mainCpuMs: number | undefined;
    let mainSysMs: number | undefined;
    if (agent) {
      cpuMs = agentPids.reduce((a, p) => a + cpuOf(p), 0) - cpu0;
      mainCpuMs = cpuOf(agentPids[0]!) - main0;
      mainSysMs = cpuOf(agentPids[0]!, false, 'system') - sys0;
    }
    const done = new Map<string, number>();
    const internal: number[] = [];
    /** agent: device → when its monitor process read the RTM_NEWLINK (done − delayMs) */
    const readAt = new Map<string, number>();
    if (agent) {
      for (const l of agent.logs) {
        if (!l.includes('"msg":"enforce"')) continue;
        const e = JSON.parse(l) as { time: string; interface: string; delayMs?: number };
        if (!done.has(e.interface)) done.set(e.interface, Date.parse(e.time));
        if (e.delayMs !== undefined) {
          internal.push(e.delayMs);
          readAt.set(e.interface, Date.parse(e.time) - e.delayMs);
        }
      }
      if (page) {
        // the page saw the burst: every tap is in its matrix (live rows, no reload)
        await waitFor(async () => (await page!.taps()) >= TAPS, 30_000, 'the page shows every tap').catch((e: Error) =>
          console.error(`note: ${e.message}`),
        );
      }
      const m = await metricsText(ns, agent.port);
      const count = metricValue(m, 'offloadctl_enforcement_delay_seconds_count');
      const expected = TAPS + (page ? 1 : 0); // the page's veth (uiv0) was enforced too
      if (count !== expected) console.error(`note: delay histogram count ${count} (expected ${expected})`);
      await agent.stop();
    }
    if (base) {
      for (const [k, v] of base.done) done.set(k, v);
      await base.stop();
      cpuMs = cpuOf('self', true) - cpu0; // bash + the ethtool processes it waited for
    }
    const delays: number[] = [];
    const kdelays: number[] = [];
    const readLags: number[] = [];
    for (const n of names) {
      const ra = readAt.get(n);
      if (ra !== undefined && obs.first.has(n)) readLags.push(Math.max(0, ra - obs.first.get(n)!));
      const c = obs.first.get(n);
      const d = done.get(n);
      const k = fobs?.compliantAt.get(n);
      if (c !== undefined && d !== undefined) delays.push(Math.max(0, d - c));
      if (c !== undefined && k !== undefined) kdelays.push(Math.max(0, k - c));
    }
    if (PER_TAP)
      writeFileSync(
        `${PER_TAP}.${method}.${++perTapRun}.csv`,
        'device,created_ms,read_ms,done_ms\n' +
          names.map((n) => [n, obs.first.get(n), readAt.get(n), done.get(n)].join(',')).join('\n') +
          '\n',
      );
    if (fobs && kdelays.length !== names.length)
      console.error(`note: feature observer saw ${kdelays.length} of ${names.length} devices become compliant`);
    return {
      p50: quantile(delays, 0.5),
      p99: quantile(delays, 0.99),
      kp50: quantile(kdelays, 0.5),
      kp99: quantile(kdelays, 0.99),
      max: quantile(delays, 1),
      allMs,
      n: delays.length,
      cpuMs,
      ipCpuMs,
      createMs,
      machineBusy,
      ...(mainCpuMs !== undefined ? { mainCpuMs, mainSysMs } : {}),
      ...(internal.length ? { internalP50: quantile(internal, 0.5), internalP99: quantile(internal, 0.99) } : {}),
      ...(readLags.length ? { readP50: quantile(readLags, 0.5), readP99: quantile(readLags, 0.99) } : {}),
    };
  } finally {
    await page?.close();
    // `ip netns del` leaves the devices to the kernel's cleanup_net worker, which unregisters them
    // later under RTNL (net/core/net_namespace.c): 500 taps torn down in the background would
    // overlap the next repeat's burst and slow whichever method runs then. Delete them here,
    // synchronously, and let the machine settle before the next burst.
    await ipBatch(
      ns,
      names.map((n) => `link del ${n}`),
    ).catch(() => {});
    await deleteNetns(ns);
    await sleep(300);
  }
}

/** Busy and total jiffies of all CPUs (/proc/stat "cpu" line: busy = all but idle and iowait). */
function machineTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - f[4]!, total };
}

function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
const mib = (kib: number) => (kib / 1024).toFixed(1);

async function memory(): Promise<void> {
  const ns = await createNetns(`${uniquePrefix('amem')}a`);
  try {
    const agent = await startAgent(ns, [], MEMORY_RT ? { wrap: ['chrt', '-f', String(RT || 1)] } : {});
    if (MEMORY_RT) console.log(`memory part: agent SCHED_FIFO ${RT || 1}`);
    const pid = agent.child.pid!;
    const kid = () => childrenOf(pid)[0] ?? 0;
    await sleep(500);
    const idle = { agent: rssKiB(pid), monitor: rssKiB(kid()) };
    const heap = async () =>
      (metricValue(await metricsText(ns, agent.port), 'nodejs_heap_size_used_bytes') ?? 0) / 1048576;
    const heapIdle = await heap();
    const names = [...Array(MANY).keys()].map((i) => `m${i}`);
    const t0 = Date.now();
    await ipBatch(
      ns,
      names.map((n) => `tuntap add dev ${n} mode tap`),
    );
    await waitFor(async () => nonCompliant(await oracle(ns), names).length === 0, 300_000, `${MANY} compliant`, 250);
    const tMany = Date.now() - t0;
    await sleep(500);
    const many = { agent: rssKiB(pid), monitor: rssKiB(kid()) };
    const heapMany = await heap();
    await ipBatch(
      ns,
      names.map((n) => `link del ${n}`),
    );
    await sleep(1000);

    // create/delete cycles: rounds of ROUND taps created, enforced, deleted
    const ROUND = Math.min(1000, CYCLES);
    const rounds = Math.ceil(CYCLES / ROUND);
    const samples: number[] = [];
    const heapSamples: number[] = [];
    const tc = Date.now();
    for (let r = 0; r < rounds; r++) {
      const batch = [...Array(ROUND).keys()].map((i) => `c${r}_${i}`);
      await ipBatch(
        ns,
        batch.map((n) => `tuntap add dev ${n} mode tap`),
      );
      await waitFor(async () => nonCompliant(await oracle(ns), batch).length === 0, 120_000, `round ${r}`, 100);
      await ipBatch(
        ns,
        batch.map((n) => `link del ${n}`),
      );
      samples.push(rssKiB(pid));
      heapSamples.push(await heap());
    }
    await sleep(1500);
    const m = await metricsText(ns, agent.port);
    const series = m.split('\n').filter((l) => l.startsWith('offloadctl_interface_compliant{')).length;
    const after = { agent: rssKiB(pid), monitor: rssKiB(kid()) };
    const heapAfter = await heap();
    await agent.stop();
    console.log(
      `\nMemory (VmRSS, MiB; the agent process + its netlink socket process, 0.0 when the agent reads its sockets itself)`,
    );
    console.log(`  idle (lo only)                 agent ${mib(idle.agent)}  monitor ${mib(idle.monitor)}`);
    console.log(
      `  ${MANY} taps, all compliant    agent ${mib(many.agent)}  monitor ${mib(many.monitor)}   (burst compliant in ${tMany} ms)`,
    );
    console.log(
      `  after ${rounds * ROUND} create/delete cycles  agent ${mib(after.agent)}  monitor ${mib(after.monitor)}   (${((Date.now() - tc) / 1000).toFixed(0)} s)`,
    );
    const q = (i: number) => mib(samples[Math.min(samples.length - 1, i)]!);
    console.log(
      `  agent RSS after round 1 / ${Math.ceil(rounds / 2)} / ${rounds}: ${q(0)} / ${q(Math.ceil(rounds / 2) - 1)} / ${q(rounds - 1)} MiB`,
    );
    const h = (i: number) => heapSamples[Math.min(heapSamples.length - 1, i)]!.toFixed(1);
    console.log(
      `  agent V8 heap used: idle ${heapIdle.toFixed(1)}, ${MANY} taps ${heapMany.toFixed(1)}, after round 1 / ${Math.ceil(rounds / 2)} / ${rounds}: ${h(0)} / ${h(Math.ceil(rounds / 2) - 1)} / ${h(rounds - 1)}, at the end ${heapAfter.toFixed(1)} MiB`,
    );
    console.log(`  per-interface series left after deleting everything: ${series}`);
  } finally {
    await deleteNetns(ns);
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('agent-burst: needs root (network namespaces)');
    process.exit(2);
  }
  const runs = Object.fromEntries(METHODS.map((m) => [m, []])) as unknown as Record<
    Method,
    Awaited<ReturnType<typeof burst>>[]
  >;
  for (let r = 0; r < REPEATS; r++) {
    // rotate the order so no method always runs on a warmer machine
    const order = METHODS.map((_, i) => METHODS[(i + r) % METHODS.length]!);
    for (const m of order) {
      const x = await burst(m);
      runs[m].push(x);
      console.error(
        `repeat ${r + 1} ${m}: p50 ${x.p50.toFixed(1)} ms  p99 ${x.p99.toFixed(1)} ms  max ${x.max.toFixed(1)} ms${KERNEL_OBSERVER ? ` | kernel ntf p50 ${x.kp50.toFixed(1)} p99 ${x.kp99.toFixed(1)} ms |` : ''}  all compliant ${x.allMs} ms  CPU ${x.cpuMs} ms${x.mainCpuMs !== undefined ? ` (main ${x.mainCpuMs}, of it system ${x.mainSysMs})` : ''}  ${x.readP99 !== undefined ? ` read lag p50/p99 ${x.readP50!.toFixed(1)}/${x.readP99.toFixed(1)}` : ''} (n=${x.n}, load ${loadavg()[0]!.toFixed(1)}; ip created them in ${x.createMs} ms using ${x.ipCpuMs} ms CPU; machine ${Math.round(x.machineBusy * 100)}% busy)`,
      );
    }
  }
  if (REPEATS > 0) report(runs);
  if (MANY > 0 || CYCLES > 0) await memory();
}

function report(runs: Record<Method, Run[]>): void {
  const agg = (xs: Run[], k: keyof Run) => median(xs.map((x) => x[k] ?? NaN));
  const how = PACE > 0 ? `one every ${PACE} ms` : 'all at once, one ip -batch';
  const obs = OBSERVER_RT > 0 ? `observer SCHED_FIFO ${OBSERVER_RT}` : 'observer in the normal class';
  console.log(
    `\n${TAPS} new taps (${how}); delay from link creation (${obs}) to done; medians over ${REPEATS} repeats`,
  );
  console.log(
    `(machine load average at the end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${cpus().length} CPUs)`,
  );
  console.log(
    `${'method'.padEnd(36)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'max ms'.padStart(9)} ${'all done ms'.padStart(12)} ${'CPU ms'.padStart(8)} ${'ip took ms'.padStart(11)}`,
  );
  for (const m of METHODS) {
    console.log(
      `${LABEL[m].padEnd(36)} ${agg(runs[m], 'p50').toFixed(1).padStart(9)} ${agg(runs[m], 'p99').toFixed(1).padStart(9)} ${agg(runs[m], 'max').toFixed(1).padStart(9)} ${String(agg(runs[m], 'allMs')).padStart(12)} ${String(agg(runs[m], 'cpuMs')).padStart(8)} ${String(agg(runs[m], 'createMs')).padStart(11)}`,
    );
  }
  // the methods' done times and the observer's are ms clocks: a median under 1 ms is counted as 1 ms (≥)
  const ratio = (a: Method, b: Method, k: keyof Run) => {
    const d = agg(runs[b], k);
    return `${d < 1 ? '≥' : ''}${(agg(runs[a], k) / Math.max(1, d)).toFixed(1)}x`;
  };
  const ratioRow = (a: Method, b: Method, label: string) =>
    console.log(
      `${label.padEnd(36)} ${ratio(a, b, 'p50').padStart(9)} ${ratio(a, b, 'p99').padStart(9)} ${ratio(a, b, 'max').padStart(9)} ${ratio(a, b, 'allMs').padStart(12)} ${ratio(a, b, 'cpuMs').padStart(8)}`,
    );
  ratioRow('baseline', 'agent', 'baseline / agent');
  if (RT > 0) ratioRow('baseline-rt', 'agent-rt', `baseline / agent, both SCHED_FIFO ${RT}`);
  if (PAGE) ratioRow('agent-page', 'agent', 'agent with page / without');
  const spread = (m: Method) => runs[m].map((x) => x.p99.toFixed(0)).join(' ');
  for (const m of METHODS) {
    const under =
      kindOf(m) === 'agent' ? `; under 20 ms in ${runs[m].filter((x) => x.p99 < 20).length} of ${runs[m].length}` : '';
    console.log(`p99 per repeat, ${LABEL[m]} (ms): ${spread(m)}${under}`);
  }
  console.log(
    `ip -batch: ${TAPS} creations took (median) ${METHODS.map((m) => `${agg(runs[m], 'createMs')} ms with ${m}`).join(', ')}`,
  );
  for (const m of METHODS.filter((x) => kindOf(x) === 'agent')) {
    const med = (k: 'internalP50' | 'internalP99' | 'readP50' | 'readP99') =>
      median(runs[m].map((x) => (x as unknown as Record<string, number | undefined>)[k] ?? NaN)).toFixed(1);
    console.log(
      `${LABEL[m]}: CPU ${agg(runs[m], 'cpuMs')} ms (main process ${agg(runs[m], 'mainCpuMs')}, of it system ${agg(runs[m], 'mainSysMs')}; the rest its monitor process, if any; /proc ticks of 10 ms); own view (event receipt → verified) p50 ${med('internalP50')} p99 ${med('internalP99')} ms; creation → it read the RTM_NEWLINK p50 ${med('readP50')} p99 ${med('readP99')} ms`,
    );
  }
  if (!KERNEL_OBSERVER) return;
  console.log(
    `\ndelay from link creation to the kernel's first FEATURES_NTF showing the device compliant (feature-observer.ts), medians over ${REPEATS} repeats`,
  );
  console.log(`${'method'.padEnd(36)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)}`);
  for (const m of METHODS)
    console.log(
      `${LABEL[m].padEnd(36)} ${agg(runs[m], 'kp50').toFixed(1).padStart(9)} ${agg(runs[m], 'kp99').toFixed(1).padStart(9)}`,
    );
  console.log(
    `${'baseline / agent'.padEnd(36)} ${ratio('baseline', 'agent', 'kp50').padStart(9)} ${ratio('baseline', 'agent', 'kp99').padStart(9)}`,
  );
}

await main();
