import { readFileSync } from 'node:fs';

/**
 * Host-side CPU from /proc/stat: the busy share of all CPUs between two readings. /proc/stat is not
 * per namespace: it covers the whole machine, other users' work included (report it as such).
 */
export interface CpuTimes {
  busy: number;
  total: number;
}

/** The aggregate "cpu " line: user nice system idle iowait irq softirq steal (guest is inside user). */
export function parseProcStat(text: string): CpuTimes {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no aggregate cpu line');
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const idleAll = idle + iowait;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idleAll };
}

export function busyPercent(a: CpuTimes, b: CpuTimes): number {
  const dt = b.total - a.total;
  return dt > 0 ? (100 * (b.busy - a.busy)) / dt : Number.NaN;
}

export function readCpuTimes(): CpuTimes {
  return parseProcStat(readFileSync('/proc/stat', 'utf8'));
}
