import { readFile } from 'node:fs/promises';
import { parseProcNetDev } from './stats.js';

/**
 * The passive counters `offloadctl effect` records, read-only, one file each per sample:
 *   /proc/net/dev   every interface's rtnl_link_stats64 (the same numbers as IFLA_STATS64 and
 *                   `ip -s link`: net/core/net-procfs.c dev_seq_printf_stats → dev_get_stats), of
 *                   the reader's network namespace (/proc/net is /proc/self/net);
 *   /proc/stat      the host's CPU time split, in USER_HZ ticks (fs/proc/stat.c show_stat; USER_HZ is
 *                   100 on every architecture Linux exports it for, sysconf(_SC_CLK_TCK));
 *   /proc/softirqs  per-CPU softirq counts, NET_RX and NET_TX summed (fs/proc/softirqs.c).
 * CPU and softirqs are the whole host's, whatever namespace reads them.
 */

/** Per-interface counters kept by the recorder, in this order. */
export const COUNTER_NAMES = ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets', 'drops', 'errors'] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

/** /proc/stat `cpu` line fields, in this order (seconds once divided by USER_HZ). */
export const CPU_FIELDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
export const USER_HZ = 100;

export interface HostCounters {
  /** Date.now() when read. */
  at: number;
  /** name → the six COUNTER_NAMES values (cumulative, as the kernel counts them). */
  links: Map<string, Float64Array>;
  /** CPU_FIELDS, cumulative ticks over all CPUs. */
  cpu: Float64Array;
  netRx: number;
  netTx: number;
}

export function linkCounters(stats: Record<string, number>): Float64Array {
  return Float64Array.of(
    stats.rx_bytes ?? 0,
    stats.tx_bytes ?? 0,
    stats.rx_packets ?? 0,
    stats.tx_packets ?? 0,
    (stats.rx_dropped ?? 0) + (stats.tx_dropped ?? 0),
    (stats.rx_errors ?? 0) + (stats.tx_errors ?? 0),
  );
}

export function parseProcStatCpu(text: string): Float64Array {
  const line = text.split('\n', 1)[0] ?? '';
  const f = line.trim().split(/\s+/);
  if (f[0] !== 'cpu') throw new Error('/proc/stat: no aggregate cpu line');
  return Float64Array.from(CPU_FIELDS, (_, i) => Number(f[i + 1] ?? 0) || 0);
}

export function parseSoftirqs(text: string): { netRx: number; netTx: number } {
  let netRx = 0;
  let netTx = 0;
  for (const line of text.split('\n')) {
    const m = /^\s*(NET_RX|NET_TX):(.*)$/.exec(line);
    if (!m) continue;
    const sum = m[2]!
      .trim()
      .split(/\s+/)
      .reduce((s, v) => s + (Number(v) || 0), 0);
    if (m[1] === 'NET_RX') netRx = sum;
    else netTx = sum;
  }
  return { netRx, netTx };
}

/** One sample of every interface of this namespace and of the host's CPU. */
export async function readHostCounters(proc = '/proc'): Promise<HostCounters> {
  const [dev, stat, softirqs] = await Promise.all([
    readFile(`${proc}/net/dev`, 'utf8'),
    readFile(`${proc}/stat`, 'utf8'),
    readFile(`${proc}/softirqs`, 'utf8').catch(() => ''),
  ]);
  const links = new Map<string, Float64Array>();
  for (const [name, stats] of parseProcNetDev(dev)) links.set(name, linkCounters(stats));
  return { at: Date.now(), links, cpu: parseProcStatCpu(stat), ...parseSoftirqs(softirqs) };
}
