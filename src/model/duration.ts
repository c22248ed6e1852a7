import { OffloadError } from './errors.js';

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * Parse a duration like `500ms`, `90s`, `30m`, `1h`, `2d`, `1h30m`, or a bare number of seconds, into seconds.
 * Throws OffloadError('usage') for anything else.
 */
export function parseDuration(text: string): number {
  const t = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const re = /(\d+(?:\.\d+)?)\s*(ms|[smhdw])/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== t.length || t.length === 0) {
    throw new OffloadError('usage', `bad duration "${text}": use e.g. 500ms, 90s, 30m, 1h, 2d, 1h30m`);
  }
  return total;
}
