/** Spawns test/netns/helpers/kernel-probe.ts inside a namespace and parses its JSON answer. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run } from '../../../src/kernel/exec.js';

export const PROBE = fileURLToPath(new URL('./kernel-probe.ts', import.meta.url));

export interface ProbeError {
  error: { code: string; message: string; errno: number | null; extack: string | null };
}

export async function probe<T>(ns: string, backend: string, ...args: string[]): Promise<T> {
  return probeAs<T>(ns, [], backend, ...args);
}

/** probe() under a wrapper such as `setpriv --reuid=65534 ...` (an unprivileged user). */
export async function probeAs<T>(
  ns: string,
  wrapper: readonly string[],
  backend: string,
  ...args: string[]
): Promise<T> {
  const r = await run(
    ['ip', 'netns', 'exec', ns, ...wrapper, process.execPath, '--import', 'tsx', PROBE, backend, ...args],
    { timeoutMs: 60_000 },
  );
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  if (!line) throw new Error(`probe ${backend} ${args.join(' ')} printed nothing (exit ${r.code}): ${r.stderr}`);
  return JSON.parse(line) as T;
}

/**
 * Start `dump-then-get IF`: resolves `between` after the dump, then `finish()` lets the probe do
 * its lookup and resolves with the answer. Lets a test delete the interface in between.
 */
export function probeDumpThenGet(
  ns: string,
  backend: string,
  ifname: string,
): { dumped: Promise<unknown>; finish: () => Promise<unknown>; stop: () => void } {
  const child = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, '--import', 'tsx', PROBE, backend, 'dump-then-get', ifname],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let buf = '';
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (b: Buffer) => {
    buf += b.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
      waiters.shift()?.();
    }
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      if (lines.length) return resolve(lines.shift()!);
      child.once('close', () => (lines.length ? resolve(lines.shift()!) : reject(new Error('probe exited early'))));
      waiters.push(() => resolve(lines.shift()!));
    });
  const dumped = nextLine().then((l) => JSON.parse(l) as unknown);
  return {
    dumped,
    finish: async () => {
      child.stdin.end('go\n');
      return JSON.parse(await nextLine()) as unknown;
    },
    /** End the probe (our own child, by its PID) if it is still waiting, e.g. after a failed assertion. */
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
