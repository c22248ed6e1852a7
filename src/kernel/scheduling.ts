import { readFileSync } from 'node:fs';

/**
 * The CPU scheduling class of a process, as the kernel reports it in /proc/PID/stat: field 40
 * rt_priority and field 41 policy (proc(5); fs/proc/array.c do_task_stat). The agent logs it at
 * start: its systemd unit runs it SCHED_FIFO 1 (unit.ts), which is what keeps its delay low while
 * the host creates ports on every CPU.
 */
export interface Scheduling {
  policy: 'other' | 'fifo' | 'rr' | 'batch' | 'idle' | 'deadline' | `policy ${number}`;
  /** 1–99 for fifo and rr, 0 otherwise */
  priority: number;
}

/** include/uapi/linux/sched.h SCHED_* (4 is unused) */
const POLICY: Record<number, Scheduling['policy']> = {
  0: 'other',
  1: 'fifo',
  2: 'rr',
  3: 'batch',
  5: 'idle',
  6: 'deadline',
};

/** Parse a /proc/PID/stat line (the command name in parentheses may hold spaces and parentheses). */
export function parseProcStatScheduling(stat: string): Scheduling | null {
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .trim()
    .split(/\s+/);
  // f[0] is field 3 (state): field N is f[N - 3]
  const prio = Number(f[40 - 3]);
  const pol = Number(f[41 - 3]);
  if (!Number.isInteger(prio) || !Number.isInteger(pol)) return null;
  return { policy: POLICY[pol] ?? `policy ${pol}`, priority: prio };
}

/** This process's scheduling, or null when /proc is not readable. */
export function ownScheduling(): Scheduling | null {
  try {
    return parseProcStatScheduling(readFileSync('/proc/self/stat', 'utf8'));
  } catch {
    return null;
  }
}

/** "fifo:1", "other" */
export function formatScheduling(s: Scheduling): string {
  return s.priority > 0 ? `${s.policy}:${s.priority}` : s.policy;
}
