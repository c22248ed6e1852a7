import { formatBytes, type DirectionStats, type EffectReport } from './analyze.js';

type TableRenderer = (headers: readonly string[], rows: readonly (readonly string[])[]) => string;

const arrow = (b: string, a: string) => (b === a ? b : `${b} → ${a}`);
const rate = (d: DirectionStats) => (d.bytesPerSec > 0 ? `${formatBytes(d.bytesPerSec)}/s` : '-');
const size = (d: DirectionStats) => (d.avgPacketBytes === null ? '-' : formatBytes(d.avgPacketBytes));
const num = (n: number | null, digits = 2) => (n === null ? '-' : n.toFixed(digits));

/** The report as text: verdict and evidence first, then the host's figures, then the busiest interfaces. */
export function renderEffect(r: EffectReport, table: TableRenderer, maxInterfaces = 15): string {
  const c = r.change;
  const what = c.id ? `${c.source} ${c.id}` : c.source === 'time' ? 'the time given' : `${c.source} change`;
  const span = c.start === c.end ? c.start : `${c.start} – ${c.end}`;
  const lines = [
    `effect of ${what} at ${span}${c.interfaces ? ` (${c.interfaces.length} interfaces changed)` : ''}`,
    `windows: ${r.before.seconds.toFixed(1)} s before, ${r.after.seconds.toFixed(1)} s after (asked ${r.windowSeconds} s; settle ${r.settleSeconds} s)`,
    '',
    `${r.verdict}: ${r.summary}`,
  ];
  if (r.verdict === 'changed' || r.verdict === 'no-difference') {
    for (const e of r.evidence) lines.push(`  - ${e}`);
    lines.push(
      '',
      table(
        ['HOST', 'BEFORE', 'AFTER'],
        [
          ['bytes moved/s', formatBytes(r.before.bytesMovedPerSec), formatBytes(r.after.bytesMovedPerSec)],
          ['CPU softirq+system (CPUs)', num(r.before.cpuPerSec), num(r.after.cpuPerSec)],
          ['CPU s per GB moved', num(r.before.cpuSecondsPerGb, 3), num(r.after.cpuSecondsPerGb, 3)],
          ['softirq CPU s per GB', num(r.before.softirqSecondsPerGb, 3), num(r.after.softirqSecondsPerGb, 3)],
          ['NET_RX softirqs/s', num(r.before.netRxSoftirqsPerSec, 0), num(r.after.netRxSoftirqsPerSec, 0)],
          ['NET_TX softirqs/s', num(r.before.netTxSoftirqsPerSec, 0), num(r.after.netTxSoftirqsPerSec, 0)],
        ],
      ).trimEnd(),
      '',
    );
    const shown = r.interfaces.slice(0, maxInterfaces);
    lines.push(
      table(
        ['INTERFACE', 'CHANGED', 'RX', 'TX', 'AVG RX PACKET', 'AVG TX PACKET', 'DROPS+ERRORS'],
        shown.map((e) => [
          e.name,
          e.changed ? 'yes' : '-',
          arrow(rate(e.before.rx), rate(e.after.rx)),
          arrow(rate(e.before.tx), rate(e.after.tx)),
          arrow(size(e.before.rx), size(e.after.rx)),
          arrow(size(e.before.tx), size(e.after.tx)),
          arrow(String(e.before.drops + e.before.errors), String(e.after.drops + e.after.errors)),
        ]),
      ).trimEnd(),
    );
    if (r.interfaces.length > shown.length)
      lines.push(`(${r.interfaces.length - shown.length} more interfaces with traffic: --json lists them all)`);
  }
  return lines.join('\n') + '\n';
}
