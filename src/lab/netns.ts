import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { run, runOk, type ExecOptions, type ExecResult } from '../kernel/exec.js';

/**
 * Network namespaces that this process created. Everything that changes kernel state in tests,
 * the lab and benchmarks happens inside one of these, never in the root namespace.
 */
const created = new Set<string>();
let cleanupInstalled = false;

/** A short unique prefix per run, e.g. `olc-k3x9a-`: namespaces of concurrent runs never collide. */
export function uniquePrefix(tag = 'olc'): string {
  return `${tag}-${process.pid.toString(36)}${randomBytes(2).toString('hex')}-`;
}

export async function createNetns(name: string): Promise<string> {
  await runOk(['ip', 'netns', 'add', name]);
  created.add(name);
  installCleanup();
  await runOk(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

/**
 * Keep a namespace this process created after the process exits (the lab: `lab up` builds it,
 * `lab down` removes it). Until released, a namespace is removed by the exit/signal cleanup.
 */
export function releaseNetns(name: string): void {
  created.delete(name);
}

export async function deleteNetns(name: string): Promise<void> {
  // `ip netns del` of a namespace that is gone already is not an error for us.
  await run(['ip', 'netns', 'del', name]);
  created.delete(name);
}

export async function listNetns(): Promise<string[]> {
  const r = await run(['ip', '-json', 'netns', 'list']);
  if (r.code !== 0 || !r.stdout.trim()) return [];
  return (JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name);
}

/** Create a namespace, run fn, and delete the namespace whatever happens. */
export async function withNetns<T>(tag: string, fn: (ns: string) => Promise<T>): Promise<T> {
  const ns = await createNetns(`${uniquePrefix(tag)}a`);
  try {
    return await fn(ns);
  } finally {
    await deleteNetns(ns);
  }
}

/** Run argv inside namespace ns (`ip netns exec`). */
export function nsRun(ns: string, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
  return run(['ip', 'netns', 'exec', ns, ...argv], opts);
}

export function nsRunOk(ns: string, argv: readonly string[], opts?: ExecOptions): Promise<string> {
  return runOk(['ip', 'netns', 'exec', ns, ...argv], opts);
}

/** `ip -n NS ...` */
export function ipIn(ns: string, args: readonly string[]): Promise<string> {
  return runOk(['ip', '-n', ns, ...args]);
}

/** `ip -batch -` inside ns: one process for thousands of commands. */
export function ipBatch(ns: string, lines: readonly string[]): Promise<string> {
  return runOk(['ip', '-n', ns, '-batch', '-'], { input: lines.join('\n') + '\n' });
}

/** Last-resort cleanup when the process is interrupted (tests, lab, bench). */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const sync = () => {
    for (const name of created) {
      try {
        spawnSync('ip', ['netns', 'del', name]);
      } catch {
        /* best effort */
      }
    }
    created.clear();
  };
  process.once('exit', sync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      sync();
      process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
    });
  }
}
