import { readdir, readFile } from 'node:fs/promises';
import { run } from './exec.js';

/**
 * Interface counters and sysctls for the doctor, read-only:
 *   /sys/class/net/IF/statistics/*             the kernel's rtnl_link_stats64 (same as IFLA_STATS64)
 *   /sys/class/net/IF/queues/tx-N/tx_timeout   per-queue transmit time-outs (net-sysfs.c tx_timeout_show)
 *   `ethtool -S IF`                            driver statistics (ETHTOOL_GSTATS; ethtool 6.1 has no JSON for -S)
 *   /proc/net/dev                              every interface's main counters in one read (net/core/net-procfs.c
 *                                              dev_seq_printf_stats): used for software devices, so 2000
 *                                              taps cost one read instead of 50,000 sysfs files
 *   /proc/sys/net/ipv4/ip_forward, /proc/sys/net/ipv6/conf/all/forwarding
 * sysfs and /proc/sys/net show the namespace of the reader's mount/net namespace: run inside the
 * namespace (`offloadctl --netns NS` re-executes under `ip netns exec`, which remounts /sys).
 */

export interface InterfaceCounters {
  ifname: string;
  stats: Record<string, number>;
  driver: Record<string, number> | null;
}

/** Interface names as the kernel allows them (net/core/dev.c dev_valid_name): safe in a path. */
function validName(ifname: string): boolean {
  return ifname.length > 0 && ifname.length < 16 && ifname !== '.' && ifname !== '..' && !/[/:\s]/.test(ifname);
}

async function readNumber(path: string): Promise<number | null> {
  try {
    const v = Number((await readFile(path, 'utf8')).trim());
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/** statistics/* plus `tx_timeout` (sum over tx queues). Null when the interface is gone. */
export async function readSysfsStats(ifname: string, root = '/sys/class/net'): Promise<Record<string, number> | null> {
  if (!validName(ifname)) return null;
  const base = `${root}/${ifname}`;
  let names: string[];
  try {
    names = await readdir(`${base}/statistics`);
  } catch {
    return null;
  }
  const out: Record<string, number> = {};
  await Promise.all(
    names.map(async (n) => {
      const v = await readNumber(`${base}/statistics/${n}`);
      if (v !== null) out[n] = v;
    }),
  );
  try {
    const queues = (await readdir(`${base}/queues`)).filter((q) => q.startsWith('tx-'));
    let sum = 0;
    let seen = false;
    for (const q of queues) {
      const v = await readNumber(`${base}/queues/${q}/tx_timeout`);
      if (v !== null) {
        sum += v;
        seen = true;
      }
    }
    if (seen) out.tx_timeout = sum;
  } catch {
    /* no queues directory: no tx_timeout counter */
  }
  return out;
}

/** Parse `ethtool -S` text output ("     name: value" lines). */
export function parseEthtoolStats(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^\s+(.+?):\s+(-?\d+)\s*$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Driver statistics (`ethtool -S IF`); null when the driver has none or the interface is gone. */
export async function readDriverStats(ifname: string): Promise<Record<string, number> | null> {
  if (!validName(ifname)) return null;
  let r;
  try {
    r = await run(['ethtool', '-S', ifname], { timeoutMs: 5000 });
  } catch {
    return null; // ethtool not installed
  }
  if (r.code !== 0) return null;
  const stats = parseEthtoolStats(r.stdout);
  return Object.keys(stats).length > 0 ? stats : null;
}

/**
 * Parse /proc/net/dev. Its columns sum some counters (dev_seq_printf_stats): rx "drop" is
 * rx_dropped + rx_missed_errors, "frame" is length + over + crc + frame errors, tx "carrier" is
 * carrier + aborted + window + heartbeat errors. Software devices have only drops and errors.
 */
export function parseProcNetDev(text: string): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const line of text.split('\n')) {
    const m = /^\s*([^\s:]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2]!.trim().split(/\s+/).map(Number);
    if (v.length < 16 || v.some((x) => !Number.isFinite(x))) continue;
    out.set(m[1]!, {
      rx_bytes: v[0]!,
      rx_packets: v[1]!,
      rx_errors: v[2]!,
      rx_dropped: v[3]!,
      rx_fifo_errors: v[4]!,
      rx_frame_errors: v[5]!,
      multicast: v[7]!,
      tx_bytes: v[8]!,
      tx_packets: v[9]!,
      tx_errors: v[10]!,
      tx_dropped: v[11]!,
      tx_fifo_errors: v[12]!,
      collisions: v[13]!,
      tx_carrier_errors: v[14]!,
    });
  }
  return out;
}

async function readProcNetDev(): Promise<Map<string, Record<string, number>>> {
  try {
    return parseProcNetDev(await readFile('/proc/net/dev', 'utf8'));
  } catch {
    return new Map();
  }
}

/**
 * One sample of several interfaces. `detailedFor` (real NICs, bonds) get every sysfs counter, the
 * per-queue tx_timeout and `ethtool -S`; the others one line of /proc/net/dev. Bounded concurrency.
 */
export async function readCounters(
  ifnames: readonly string[],
  opts: { detailedFor?: ReadonlySet<string>; concurrency?: number } = {},
): Promise<InterfaceCounters[]> {
  const procNetDev = await readProcNetDev();
  const out: (InterfaceCounters | null)[] = new Array(ifnames.length).fill(null);
  const detailed: number[] = [];
  ifnames.forEach((ifname, i) => {
    const quick = procNetDev.get(ifname);
    if (opts.detailedFor?.has(ifname) || !quick) detailed.push(i);
    else out[i] = { ifname, stats: quick, driver: null };
  });
  let next = 0;
  const worker = async () => {
    while (next < detailed.length) {
      const i = detailed[next++]!;
      const ifname = ifnames[i]!;
      const stats = await readSysfsStats(ifname);
      if (!stats) continue;
      const driver = opts.detailedFor?.has(ifname) ? await readDriverStats(ifname) : null;
      out[i] = { ifname, stats, driver };
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, detailed.length) }, worker));
  return out.filter((x): x is InterfaceCounters => x !== null);
}

export interface Forwarding {
  ipv4: boolean;
  ipv6: boolean;
}

/** IP forwarding of the current network namespace (/proc/sys/net is per namespace). */
export async function readForwarding(): Promise<Forwarding> {
  const v4 = await readNumber('/proc/sys/net/ipv4/ip_forward');
  const v6 = await readNumber('/proc/sys/net/ipv6/conf/all/forwarding');
  return { ipv4: v4 === 1, ipv6: v6 === 1 };
}
