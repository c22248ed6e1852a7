/**
 * Shared by the apply-* netns tests (not a test file): the oracle — one `ethtool --json -k '*'`
 * dump of a namespace — and ways to run the built CLI in it and compare states.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nsRunOk } from '../../src/lab/netns.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built CLI; OFFLOADCTL_TEST_CLI points at another build (e.g. a private one while dist/ is rebuilt). */
export const CLI = process.env.OFFLOADCTL_TEST_CLI ?? ROOT + 'bin/offloadctl';

export function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  if (!process.env.OFFLOADCTL_TEST_CLI && !existsSync(ROOT + 'dist/main.js')) return 'needs the built CLI (npm run build; scripts/test.sh does it)';
  return false;
}

/** ethtool's JSON keeps legacy long names for some single features (ethtool common.c off_flag_def). */
const LEGACY: Record<string, string> = {
  'rx-checksumming': 'rx-checksum',
  'generic-segmentation-offload': 'tx-generic-segmentation',
  'generic-receive-offload': 'rx-gro',
  'large-receive-offload': 'rx-lro',
  'rx-vlan-offload': 'rx-vlan-hw-parse',
  'tx-vlan-offload': 'tx-vlan-hw-insert',
  'ntuple-filters': 'rx-ntuple-filter',
  'receive-hashing': 'rx-hashing',
};

export type State = Record<string, Record<string, { active: boolean; requested: boolean; fixed: boolean }>>;

/** Every interface's features (kernel names; aggregates dropped), from one `ethtool --json -k '*'`. */
export async function oracle(ns: string): Promise<State> {
  const all = JSON.parse(await nsRunOk(ns, ['ethtool', '--json', '-k', '*'], { timeoutMs: 60_000 })) as Record<string, unknown>[];
  const out: State = {};
  for (const obj of all) {
    const f: State[string] = {};
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'ifname' || typeof v !== 'object' || v === null) continue;
      const s = v as { active: boolean; requested: boolean | null; fixed: boolean | null };
      if (s.fixed === null || s.requested === null) continue;
      f[LEGACY[k] ?? k] = { active: s.active, requested: s.requested, fixed: s.fixed };
    }
    out[obj.ifname as string] = f;
  }
  return out;
}

export const isTsoGso = (f: string) => /^tx-tcp.*-segmentation$/.test(f) || f === 'tx-generic-segmentation';

/** Lines "IF FEATURE: before → after" for every difference (empty: identical). */
export function diff(a: State, b: State, filter: (ifname: string, feature: string) => boolean = () => true): string[] {
  const out: string[] = [];
  for (const ifname of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const fa = a[ifname];
    const fb = b[ifname];
    if (!fa || !fb) {
      out.push(`${ifname}: ${fa ? 'gone' : 'new'}`);
      continue;
    }
    for (const f of new Set([...Object.keys(fa), ...Object.keys(fb)])) {
      if (!filter(ifname, f)) continue;
      const x = JSON.stringify(fa[f]);
      const y = JSON.stringify(fb[f]);
      if (x !== y) out.push(`${ifname} ${f}: ${x} → ${y}`);
    }
  }
  return out;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The built CLI inside namespace ns, started as `ip netns exec NS node bin/offloadctl ...` (ip
 * execs node, so a SIGKILL of the CLI shows here as signal SIGKILL). stdin is not a terminal.
 */
export function cliIn(ns: string, args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
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

/** A temporary state directory, removed by the returned function. */
export function tmpState(tag: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `olc-${tag}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
