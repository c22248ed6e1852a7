import type { ParsedLine } from './types.js';

/**
 * Parse one kernel log line in the formats operators have at hand:
 *   /dev/kmsg        `6,1234,5678901,-;eth0: hw csum failure` (Documentation/ABI/testing/dev-kmsg:
 *                    "prio,seq,usec-since-boot,flags[,more];message"; lines starting with a space
 *                    are key=value continuation lines → null)
 *   dmesg            `[  123.456789] eth0: hw csum failure`
 *   dmesg -T         `[Tue Nov 25 12:00:00 2026] eth0: hw csum failure`
 *   journalctl short `Nov 25 12:00:00 host kernel: eth0: hw csum failure` (also /var/log/kern.log,
 *                    optionally with a `[ 123.456]` stamp after `kernel:`)
 *   journalctl short-iso `2026-11-25T12:00:00+0000 host kernel: ...`
 * Anything else is taken as a plain message.
 */

const KMSG = /^(\d+),(\d+),(\d+),[^;]*;(.*)$/;
const DMESG = /^\[\s*(\d+\.\d+)\]\s?(.*)$/;
const DMESG_T = /^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})\]\s?(.*)$/;
const SYSLOG = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.\d+)? (\S+) ([^\s:[]+)(?:\[\d+\])?: ?(.*)$/;
const ISO =
  /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?) (\S+) ([^\s:[]+)(?:\[\d+\])?: ?(.*)$/;
const INNER_STAMP = /^\[\s*(\d+\.\d+)\]\s?(.*)$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function parseLogLine(raw: string, nowMs: number = Date.now()): ParsedLine | null {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (line.length === 0) return null;
  let m = KMSG.exec(line);
  if (m) {
    const prio = Number(m[1]);
    return {
      format: 'kmsg',
      message: m[4]!,
      monotonic: Number(m[3]) / 1e6,
      wallMs: null,
      // facility 0 is the kernel; userspace writing to /dev/kmsg (systemd...) has another.
      ident: prio >> 3 === 0 ? 'kernel' : 'user',
      level: prio & 7,
    };
  }
  // kmsg continuation (" SUBSYSTEM=net", " DEVICE=n2"): dictionary, not a message.
  if (line.startsWith(' ') && /^ [A-Z_]+=/.test(line)) return null;
  m = DMESG.exec(line);
  if (m) return { format: 'dmesg', message: m[2]!, monotonic: Number(m[1]), wallMs: null, ident: null, level: null };
  m = DMESG_T.exec(line);
  if (m) {
    const month = MONTHS.indexOf(m[1]!);
    const wall = new Date(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])).getTime();
    return { format: 'dmesg-T', message: m[7]!, monotonic: null, wallMs: wall, ident: null, level: null };
  }
  m = SYSLOG.exec(line);
  if (m && MONTHS.includes(m[1]!)) {
    // Short syslog timestamps have no year: take this year, or last year if that lies in the future.
    const month = MONTHS.indexOf(m[1]!);
    const year = new Date(nowMs).getFullYear();
    const at = (y: number) => new Date(y, month, Number(m![2]), Number(m![3]), Number(m![4]), Number(m![5])).getTime();
    let wall = at(year);
    if (wall > nowMs + 86_400_000) wall = at(year - 1);
    return withInnerStamp({
      format: 'syslog',
      message: m[8]!,
      monotonic: null,
      wallMs: wall,
      ident: m[7]!,
      level: null,
    });
  }
  m = ISO.exec(line);
  if (m) {
    const wall = Date.parse(normaliseIso(m[1]!));
    return withInnerStamp({
      format: 'iso',
      message: m[4]!,
      monotonic: null,
      wallMs: Number.isNaN(wall) ? null : wall,
      ident: m[3]!,
      level: null,
    });
  }
  return { format: 'plain', message: line, monotonic: null, wallMs: null, ident: null, level: null };
}

/** `kernel: [  12.345] msg` (rsyslog with the kernel's own stamp): keep the monotonic time too. */
function withInnerStamp(p: ParsedLine): ParsedLine {
  const m = INNER_STAMP.exec(p.message);
  if (!m) return p;
  return { ...p, message: m[2]!, monotonic: Number(m[1]) };
}

/** journalctl's `+0000` offsets and `,` fractions → what Date.parse accepts. */
function normaliseIso(s: string): string {
  return s
    .replace(' ', 'T')
    .replace(',', '.')
    .replace(/([+-]\d\d)(\d\d)$/, '$1:$2');
}
