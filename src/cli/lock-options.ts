/** `--lock-timeout` of apply and restore (the state directory's lock: src/apply/lock.ts). */

/** Default --lock-timeout of apply and restore, seconds (see the option's help). */
export const DEFAULT_LOCK_TIMEOUT = '60';

export const LOCK_TIMEOUT_HELP =
  "seconds to wait for the state directory's lock while another apply or restore holds it, " +
  'then fail with exit 3 (0: do not wait). The default 60 lets a burst of VM-port applies from udev or a ' +
  "hook queue up, yet stays well within udev's 180 s limit for RUN programs";

/** --lock-timeout → seconds (a non-negative integer). */
export function parseLockTimeout(
  v: string,
  OffloadErrorCtor: typeof import('../model/errors.js').OffloadError,
): number {
  if (!/^\d+$/.test(v) || Number(v) > 86400) {
    throw new OffloadErrorCtor('usage', `invalid --lock-timeout "${v}": seconds, a whole number from 0 to 86400`);
  }
  return Number(v);
}

/** Told once when another apply/restore holds the lock: the wait is visible (stderr, udev's journal). */
export function lockWaitNotice(stateDir: string, seconds: number): (holder: string) => void {
  return (holder) =>
    process.stderr.write(
      `offloadctl: waiting up to ${seconds} s for another apply or restore${holder ? ` (pid ${holder})` : ''} to finish with ${stateDir}\n`,
    );
}
