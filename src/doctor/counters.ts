import { expandFeatures, remedyFor } from './remedy.js';
import type { CounterRate, CounterSnapshot, Finding, Severity } from './types.js';

/**
 * Counters that point at offload trouble, as rates between two samples (lifetime totals say little:
 * a counter that last moved a month ago is history, not a finding).
 */
export const SYSFS_COUNTERS: readonly string[] = [
  'tx_timeout',
  'rx_crc_errors',
  'rx_frame_errors',
  'rx_length_errors',
  'rx_fifo_errors',
  'rx_over_errors',
  'rx_missed_errors',
  'rx_errors',
  'tx_errors',
  'tx_fifo_errors',
  'tx_aborted_errors',
  'tx_carrier_errors',
  'rx_dropped',
  'tx_dropped',
];

const DRIVER_INTERESTING = /(err|drop|discard|timeout|hang|restart|reset|bad|crc|fifo|miss|overrun|no_buf|fail)/i;
const DRIVER_BORING = /(good|_ok$|^peer_ifindex$)/i;

/** Rates of the interesting counters that moved between two snapshots. Counters that went backwards (reset, wrap) are skipped. */
export function computeRates(a: CounterSnapshot, b: CounterSnapshot): CounterRate[] {
  const seconds = Math.max((b.atMs - a.atMs) / 1000, 1e-3);
  const before = new Map(a.interfaces.map((s) => [s.ifname, s]));
  const out: CounterRate[] = [];
  for (const cur of b.interfaces) {
    const prev = before.get(cur.ifname);
    if (!prev) continue;
    for (const counter of SYSFS_COUNTERS) {
      const x = prev.stats[counter];
      const y = cur.stats[counter];
      if (x === undefined || y === undefined || y <= x) continue;
      out.push({ ifname: cur.ifname, counter, source: 'stats', delta: y - x, perSecond: (y - x) / seconds, total: y });
    }
    if (prev.driver && cur.driver) {
      for (const [counter, y] of Object.entries(cur.driver)) {
        if (!DRIVER_INTERESTING.test(counter) || DRIVER_BORING.test(counter)) continue;
        const x = prev.driver[counter];
        if (x === undefined || y <= x) continue;
        out.push({
          ifname: cur.ifname,
          counter,
          source: 'driver',
          delta: y - x,
          perSecond: (y - x) / seconds,
          total: y,
        });
      }
    }
  }
  return out;
}

interface CounterKind {
  test: RegExp;
  severity: Severity;
  features: string[];
  cause: string;
}

/** What a moving counter suggests. First match wins; order matters. */
const KINDS: readonly CounterKind[] = [
  {
    test: /timeout|hang|restart|reset/i,
    severity: 'critical',
    features: ['tso', 'gso', 'sg'],
    cause:
      'transmit time-outs: the NIC stopped completing transmits and was reset; offload-related when specific TSO/scatter-gather packets trigger it',
  },
  {
    test: /csum|checksum/i,
    severity: 'warning',
    features: ['rx', 'tx'],
    cause: 'checksum errors counted by the driver',
  },
  {
    test: /crc|frame|length|align|symbol|carrier|aborted/i,
    severity: 'warning',
    features: [],
    cause:
      'link-level errors (CRC, framing, length, carrier): cabling, optics, duplex or MTU mismatch rather than offloads; worth fixing first',
  },
  {
    test: /err|bad|fail/i,
    severity: 'warning',
    features: [],
    cause: 'errors counted by the kernel or the driver',
  },
  {
    test: /fifo|over|miss|no_buf|discard|drop/i,
    severity: 'info',
    features: [],
    cause:
      'drops/overruns: the receiver could not keep up or had nowhere to deliver (also no listener, filtered, unknown protocol); offloads that batch work (GRO/LRO/TSO) usually reduce these',
  },
];

function kindOf(counter: string): CounterKind {
  return KINDS.find((k) => k.test.test(counter)) ?? KINDS[KINDS.length - 1]!;
}

function fmtRate(r: CounterRate): string {
  const rate = r.perSecond >= 10 ? r.perSecond.toFixed(0) : r.perSecond.toFixed(2);
  return `${r.counter}${r.source === 'driver' ? ' (ethtool -S)' : ''}: +${r.delta} in the interval (${rate}/s; lifetime ${r.total})`;
}

/** One finding per interface with moving counters, at the severity of its worst counter. */
export function counterFindings(rates: readonly CounterRate[], knownFeatures?: readonly string[]): Finding[] {
  const byIf = new Map<string, CounterRate[]>();
  for (const r of rates) {
    const list = byIf.get(r.ifname) ?? [];
    list.push(r);
    byIf.set(r.ifname, list);
  }
  const out: Finding[] = [];
  for (const [ifname, list] of byIf) {
    const kinds = list.map((r) => kindOf(r.counter));
    const worst = kinds.reduce((a, k) => (rank(k.severity) < rank(a.severity) ? k : a), kinds[0]!);
    const features = [...new Set(kinds.flatMap((k) => k.features))];
    const causes = [...new Set(kinds.map((k) => k.cause))];
    const kernelFeatures = expandFeatures(features, knownFeatures);
    out.push({
      id:
        worst.severity === 'critical'
          ? 'counters-tx-timeout'
          : worst.severity === 'info'
            ? 'counters-drops'
            : 'counters-errors',
      source: 'counters',
      severity: worst.severity,
      title: `${ifname}: ${list.length} error/drop counter(s) moving`,
      interfaces: [ifname],
      features: kernelFeatures,
      evidence: list.sort((a, b) => rank(kindOf(a.counter).severity) - rank(kindOf(b.counter).severity)).map(fmtRate),
      cause: causes.join('; '),
      references: ['kernel source: net/core/net-sysfs.c (statistics/*, queues/tx-N/tx_timeout)'],
      // Time-outs implicate sg too, but the first step worth measuring is tso/gso.
      fix: remedyFor(
        [ifname],
        worst.severity === 'critical' ? expandFeatures(['tso', 'gso'], knownFeatures) : kernelFeatures,
        {
          measure: kernelFeatures.length > 0,
        },
      ),
    });
  }
  return out;
}

function rank(s: Severity): number {
  return ['critical', 'error', 'warning', 'info'].indexOf(s);
}
