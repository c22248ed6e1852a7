/**
 * Structured logs: one JSON object per line on stderr, one line per action (journald keeps each
 * line as one entry; `journalctl -o cat -u offloadctl-agent | jq` reads them back).
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
}

/**
 * stderr as the agent writes it: lines are collected and written together once per turn of the
 * event loop (a pipe to journald is written synchronously, one syscall per write: in a burst of
 * hundreds of enforcements that was the largest cost of an enforcement). Each line keeps the time
 * it was logged at; whatever is left is written when the process exits.
 */
export function bufferedStderr(): (line: string) => void {
  let buf: string[] = [];
  const flush = () => {
    if (buf.length === 0) return;
    const out = buf.join('');
    buf = [];
    process.stderr.write(out);
  };
  process.on('exit', flush);
  return (line) => {
    if (buf.length === 0) setImmediate(flush);
    buf.push(line);
  };
}

export function jsonLogger(
  write: (line: string) => void = (l) => process.stderr.write(l),
  minLevel: Level = 'info',
): Logger {
  const order: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  return {
    log(level, msg, fields = {}) {
      if (order[level] < order[minLevel]) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n');
    },
  };
}

export const silentLogger: Logger = { log() {} };
