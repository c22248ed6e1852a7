import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { OffloadError } from '../model/errors.js';

/**
 * `offloadctl --netns NAME cmd ...` runs the same command inside that namespace: the process
 * re-executes itself under `ip netns exec NAME` (which also remounts /sys for that namespace),
 * because a netlink socket talks to the namespace of the process that opens it, and entering a
 * namespace (setns(2)) needs a native call Node does not have.
 *
 * The wrapper is transparent, so scripts and systemd can treat it as the command itself:
 * - `ip netns exec` execs the command without forking (iproute2 lib/exec.c cmd_exec, no batch
 *   mode), so the child's PID is offloadctl's own;
 * - SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 (and SIGINT, SIGQUIT sent with kill) are forwarded;
 * - the exit status is mirrored: a child that exits N → exit N; a child killed by signal S → the
 *   wrapper kills itself with S (a shell sees 128+S, e.g. 137 for SIGKILL);
 * - stdin, stdout and stderr are the wrapper's own (a terminal stays a terminal);
 * - a namespace that does not exist is a usage error (exit 2) with one line, before anything runs.
 * Resolves with the exit code when the child exited normally.
 */
export async function reexecInNetns(ns: string, argvWithoutNetns: readonly string[]): Promise<number> {
  // ip netns exec: a name is looked up under /run/netns (NETNS_RUN_DIR), a name with a slash is a path.
  const path = ns.includes('/') ? ns : `/run/netns/${ns}`;
  if (ns === '' || ns === '.' || ns === '..' || !existsSync(path)) {
    throw new OffloadError('not-found', `network namespace ${JSON.stringify(ns)} does not exist (see ip netns list)`, {
      netns: ns,
    });
  }
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...process.execArgv, ...argvWithoutNetns], {
    stdio: 'inherit',
    env: { ...process.env, OFFLOADCTL_NETNS: ns },
  });
  const forward = (sig: NodeJS.Signals) => {
    // A key typed on the terminal (Ctrl-C, Ctrl-\) already reached the child: it is in the same
    // foreground process group. Forwarding it too would deliver it twice.
    if ((sig === 'SIGINT' || sig === 'SIGQUIT') && inTerminalForeground()) return;
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  const listeners = FORWARDED.map((sig) => {
    const l = () => forward(sig);
    process.on(sig, l);
    return [sig, l] as const;
  });
  const stopForwarding = () => {
    for (const [sig, l] of listeners) process.off(sig, l);
  };
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      child.once('error', (e) => {
        stopForwarding();
        reject(
          new OffloadError(
            'system',
            `--netns ${ns}: cannot run ip netns exec: ${(e as NodeJS.ErrnoException).code ?? e.message}`,
          ),
        );
      });
      child.once('exit', (c, s) => resolve({ code: c, signal: s }));
    },
  );
  stopForwarding();
  if (signal) {
    // Die of the same signal. With no listener left, Node restores the default action.
    process.kill(process.pid, signal);
    // Still here (an ignored signal, e.g. SIGPIPE inherited as ignored): the shell's convention.
    return 128 + (constants.signals[signal] ?? 0);
  }
  return code ?? 1;
}

/** The signals a service manager or a script sends to ask a process something (systemd: TERM, HUP; lab scripts: USR1/2). */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** This process is in its terminal's foreground process group (/proc/self/stat: pgrp = tpgid; proc(5)). */
function inTerminalForeground(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // After "pid (comm) ": state ppid pgrp session tty_nr tpgid; comm may contain spaces and ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(f[2]);
    const tpgid = Number(f[5]);
    return tpgid > 0 && tpgid === pgrp;
  } catch {
    return false;
  }
}

/**
 * Is this process in the named namespace (/run/netns/NAME, as `ip netns` makes it)? Compared by
 * the namespace's identity (device and inode of the nsfs file, as /proc/self/ns/net shows ours),
 * not by an environment variable: an inherited OFFLOADCTL_NETNS must not make `--netns` a no-op.
 */
export function inNetns(ns: string): boolean {
  if (ns.includes('/')) return false;
  try {
    const self = statSync('/proc/self/ns/net');
    const named = statSync(`/run/netns/${ns}`);
    return self.dev === named.dev && self.ino === named.ino;
  } catch {
    return false;
  }
}

/**
 * Which network namespace this process is in: the name under /run/netns of ours (`--netns NAME`
 * or `ip netns exec NAME`), 'host' (that of PID 1, or when PID 1's cannot be read), or name null:
 * a namespace other than PID 1's with no name under /run/netns.
 */
export function ownNetns(): { host: true } | { host: false; name: string | null } {
  const self = statSync('/proc/self/ns/net');
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns');
  } catch {
    /* no named namespaces */
  }
  const named = names.find((n) => {
    try {
      const st = statSync(`/run/netns/${n}`);
      return st.dev === self.dev && st.ino === self.ino;
    } catch {
      return false;
    }
  });
  if (named !== undefined) return { host: false, name: named };
  // stat() of another process's namespace file may be refused where readlink() is not ("net:[INODE]")
  try {
    if (readlinkSync('/proc/1/ns/net') !== readlinkSync('/proc/self/ns/net')) return { host: false, name: null };
  } catch {
    /* cannot tell: the host */
  }
  return { host: true };
}
