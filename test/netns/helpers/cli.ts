/**
 * The built CLI for the netns tests (not a test file): where it is, why a test cannot run here, and
 * ways to run it (from the test process with `--netns`, or inside a namespace).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { run, type ExecResult } from '../../../src/kernel/exec.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The built CLI; OFFLOADCTL_TEST_CLI points at another build (e.g. a private one while others rebuild dist/). */
export const CLI = process.env.OFFLOADCTL_TEST_CLI ?? ROOT + 'bin/offloadctl';

export const isRoot = process.getuid?.() === 0;

/** The CLI's bundle is there (bin/offloadctl loads ../dist/main.cjs). */
export function haveCli(): boolean {
  return existsSync(new URL('../dist/main.cjs', pathToFileURL(CLI)));
}

/** Why these tests cannot run here, or false; tools: programs they need besides ip and ethtool. */
export function skipReason(...tools: string[]): string | false {
  if (!isRoot) return 'needs root to create network namespaces';
  if (!haveCli()) return 'needs the built CLI (npm run build; scripts/test.sh does it)';
  for (const t of tools) {
    const found = ['/usr/bin/', '/usr/sbin/', '/bin/', '/sbin/'].some((d) => existsSync(d + t)) || existsSync(t);
    if (!found) return `needs ${t} (scripts/install-deps.sh installs it)`;
  }
  return false;
}

/** bin/offloadctl's message when dist/ cannot be loaded (another `npm run build` replacing it). */
const LOAD_FAILED = /cannot load dist\/main\.c?js/;
const RETRIES = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface CliOptions {
  /** Added to the test process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Default 60 s. */
  timeoutMs?: number;
}

/** `node CLI ARGS` from the test process (pass `--netns NS` to reach a namespace); retried while dist/ is being rebuilt. */
export async function cli(args: readonly string[], opts: CliOptions = {}): Promise<ExecResult> {
  for (let attempt = 0; ; attempt++) {
    const r = await run([process.execPath, CLI, ...args], {
      env: { ...process.env, ...opts.env },
      timeoutMs: opts.timeoutMs ?? 60_000,
    });
    if (attempt >= RETRIES || !LOAD_FAILED.test(r.stderr)) return r;
    await sleep(2000);
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The built CLI inside namespace ns, started as `ip netns exec NS node CLI ...` with OFFLOADCTL_NETNS
 * set (ip execs node, so a SIGKILL of the CLI shows here as signal SIGKILL). stdin is not a
 * terminal. Retried while dist/ is being rebuilt.
 */
export async function cliIn(ns: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  for (let attempt = 0; ; attempt++) {
    const r = await spawnCli(ns, args, env);
    if (attempt >= RETRIES || !LOAD_FAILED.test(r.stderr)) return r;
    await sleep(2000);
  }
}

function spawnCli(ns: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OFFLOADCTL_NETNS: ns, ...env },
      timeout: 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A temporary directory (a --state-dir, a --root), removed by the returned function. */
export function tmpDir(tag: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `olc-${tag}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
