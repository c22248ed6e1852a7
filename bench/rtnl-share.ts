/**
 * How often does a FEATURES_SET get RTNL while a burst of device creations is running? Both take
 * the same mutex (ethnl_set_features and tun's ioctls call rtnl_lock), so this bounds how fast any
 * enforcer — the agent, `ethtool -K`, a udev rule — can follow a burst of new VM ports.
 *
 *   node --import tsx bench/rtnl-share.ts [--taps 500] [--repeats 3]
 *
 * Needs root. In a namespace this script creates: a setter process (this script with --setter,
 * run by `ip netns exec`) flips tx-generic-segmentation on a veth as fast as the kernel lets it,
 * with 1 and with 32 requests in flight (32: one datagram of 32 SETs per sendmsg, as the agent's
 * fast path sends a burst), and counts completed SETs per millisecond. The same run measures
 * `ip -batch` creating TAPS taps alone, then with the setter running. Printed side by side: SETs per
 * ms alone, SETs per ms during the burst, taps created per ms, and SETs per created tap (the share
 * of RTNL a SET gets during the burst; ~1 means each SET waits for one creation).
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createNetns, deleteNetns, ipBatch, ipIn, uniquePrefix } from '../src/lab/netns.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

/** --setter K: in the namespace, set as fast as possible with K in flight; print completions on demand. */
async function setter(k: number): Promise<void> {
  const { FeatureSetter } = await import('../src/kernel/netlink/feature-setter.js');
  const { readFileSync } = await import('node:fs');
  const ifindex = Number(readFileSync('/sys/class/net/v0/ifindex', 'utf8'));
  const fs = await FeatureSetter.open();
  const marks: number[] = [];
  let stop = false;
  createInterface({ input: process.stdin }).on('line', (l) => {
    // "count FROM TO": completions between two performance.timeOrigin-based epoch times
    const [cmd, from, to] = l.split(' ');
    if (cmd === 'count') {
      const a = Number(from) - performance.timeOrigin;
      const b = Number(to) - performance.timeOrigin;
      process.stdout.write(`${marks.filter((m) => m >= a && m < b).length}\n`);
    } else if (cmd === 'stop') stop = true;
  });
  const worker = async (i: number) => {
    let v = i % 2 === 0;
    while (!stop) {
      await fs.set({ index: ifindex, name: 'v0' }, { 'tx-generic-segmentation': v });
      v = !v;
      marks.push(performance.now());
    }
  };
  process.stdout.write('ready\n');
  await Promise.all([...Array(k).keys()].map(worker));
  fs.close();
}

async function measure(
  ns: string,
  k: number,
  taps: number,
): Promise<{ aloneRate: number; burstRate: number; createRate: number; createAloneRate: number }> {
  const names = [...Array(taps).keys()].map((i) => `tap${i}`);
  const script = fileURLToPath(import.meta.url);
  // creation alone first (no setter running)
  let t0 = Date.now();
  await ipBatch(
    ns,
    names.map((n) => `tuntap add dev ${n} mode tap`),
  );
  const createAloneMs = Date.now() - t0;
  await ipBatch(
    ns,
    names.map((n) => `link del ${n}`),
  );
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', script, '--setter', String(k)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => String((await lines.next()).value);
  const exited = new Promise((r) => child.once('exit', r));
  try {
    if ((await next()) !== 'ready') throw new Error('setter did not start');
    await new Promise((r) => setTimeout(r, 300)); // warm
    const a0 = Date.now();
    await new Promise((r) => setTimeout(r, 200));
    const a1 = Date.now();
    t0 = Date.now();
    await ipBatch(
      ns,
      names.map((n) => `tuntap add dev ${n} mode tap`),
    );
    const t1 = Date.now();
    child.stdin.write(`count ${a0} ${a1}\n`);
    const alone = Number(await next());
    child.stdin.write(`count ${t0} ${t1}\n`);
    const during = Number(await next());
    child.stdin.write('stop\n');
    child.stdin.end();
    await exited;
    return {
      aloneRate: alone / (a1 - a0),
      burstRate: during / (t1 - t0),
      createRate: taps / (t1 - t0),
      createAloneRate: taps / createAloneMs,
    };
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await ipBatch(
      ns,
      names.map((n) => `link del ${n}`),
    ).catch(() => {});
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('rtnl-share: needs root (network namespaces)');
    process.exit(2);
  }
  const taps = arg('taps', 500);
  const repeats = arg('repeats', 3);
  const ns = await createNetns(`${uniquePrefix('rtnl')}a`);
  try {
    await ipIn(ns, ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    await ipIn(ns, ['link', 'set', 'v0', 'up']);
    const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
    console.log(`${taps} taps by one ip -batch against a FEATURES_SET loop on a veth, medians of ${repeats}`);
    console.log(
      `${'SETs in flight'.padEnd(16)} ${'SETs/ms alone'.padStart(14)} ${'SETs/ms in burst'.padStart(17)} ${'taps/ms alone'.padStart(14)} ${'taps/ms w/ SETs'.padStart(16)} ${'SETs per tap'.padStart(13)}`,
    );
    for (const k of [1, 32]) {
      const rs = [];
      for (let r = 0; r < repeats; r++) rs.push(await measure(ns, k, taps));
      const a = med(rs.map((x) => x.aloneRate));
      const b = med(rs.map((x) => x.burstRate));
      const c = med(rs.map((x) => x.createRate));
      const c0 = med(rs.map((x) => x.createAloneRate));
      const share = med(rs.map((x) => x.burstRate / x.createRate));
      console.log(
        `${String(k).padEnd(16)} ${a.toFixed(1).padStart(14)} ${b.toFixed(1).padStart(17)} ${c0.toFixed(1).padStart(14)} ${c.toFixed(1).padStart(16)} ${share.toFixed(2).padStart(13)}`,
      );
    }
  } finally {
    await deleteNetns(ns);
  }
}

const si = process.argv.indexOf('--setter');
if (si > 0) await setter(Number(process.argv[si + 1]));
else await main();
