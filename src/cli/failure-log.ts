import { spawnSync } from 'node:child_process';

/**
 * `apply --syslog`: a run from a udev rule or a VM hook has no one reading its stderr (udevd logs
 * a RUN program's output at debug level only), so its failure also goes to syslog / the journal
 * through util-linux `logger -t offloadctl -p daemon.err` — where `journalctl -t offloadctl` finds
 * it. Best effort: a missing logger must not change the outcome or the exit code.
 */
export function logFailure(message: string): void {
  try {
    spawnSync('logger', ['-t', 'offloadctl', '-p', 'daemon.err', '--', message.slice(0, 4000)], {
      stdio: 'ignore',
      timeout: 5000,
    });
  } catch {
    /* best effort */
  }
}

/** One line for the log from an error escaping a command. */
export function failureLine(what: string, e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return `${what}: ${msg.split('\n')[0]}`;
}
