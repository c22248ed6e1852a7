/**
 * Log lines an outsider can cause (denied API calls, a full disk at every enforcement) are rate
 * limited: at most `burst` lines per `intervalMs`; what was held back is told in one line when the
 * interval ends ("suppressed K"). Pure apart from the timer; `now` is injectable for tests.
 */
export interface RateLimitedLog {
  /** Log through `emit` unless the limit is reached (then count it). */
  log(fields: Record<string, unknown>): void;
  /** Lines held back so far in the current interval. */
  readonly suppressed: number;
  /** Write the pending "suppressed" line now and stop the timer. */
  flush(): void;
}

export function rateLimitedLog(
  emit: (fields: Record<string, unknown>) => void,
  emitSuppressed: (count: number, intervalMs: number) => void,
  opts: { burst?: number; intervalMs?: number; now?: () => number } = {},
): RateLimitedLog {
  const burst = opts.burst ?? 10;
  const intervalMs = opts.intervalMs ?? 60_000;
  const now = opts.now ?? Date.now;
  let windowStart = -Infinity;
  let emitted = 0;
  let suppressed = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (suppressed > 0) emitSuppressed(suppressed, intervalMs);
    suppressed = 0;
  };
  return {
    log(fields) {
      const t = now();
      if (t - windowStart >= intervalMs) {
        flush();
        windowStart = t;
        emitted = 0;
      }
      if (emitted < burst) {
        emitted++;
        emit(fields);
        return;
      }
      suppressed++;
      if (!timer) {
        timer = setTimeout(flush, Math.max(0, windowStart + intervalMs - t));
        timer.unref();
      }
    },
    get suppressed() {
      return suppressed;
    },
    flush,
  };
}
