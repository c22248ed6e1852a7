import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { OffloadError } from '../model/errors.js';

/**
 * Profiles are applied through offloadctl's own apply pipeline (plan, snapshot, journal, verify),
 * run as `offloadctl [--netns NS] apply --yes --json`: the bench process stays in the root namespace
 * (it drives clients in guest namespaces), and a netlink socket acts in the namespace of the process
 * that opens it. Every apply writes a snapshot of what it changed; undoing them newest first returns
 * every interface to its state before the bench, whichever profile touched it first.
 */

export interface AppliedProfile {
  profile: string;
  snapshot: string | null;
  status: string;
  changed: number;
}

export interface RestoreOutcome {
  ok: boolean;
  restored: string[];
  errors: string[];
}

export interface ProfileApplier {
  apply(profile: string): Promise<AppliedProfile>;
  /** Undo every apply of this applier, newest first. */
  restoreAll(): Promise<RestoreOutcome>;
  /** Snapshots taken so far, oldest first. */
  readonly snapshots: readonly string[];
}

export interface CliApplierOptions {
  /** Namespace whose interfaces change; null = the one this process is in. */
  netns: string | null;
  stateDir: string;
  /** `--interface` globs passed through to apply. */
  interfaces?: readonly string[];
  backend?: string;
}

/** The offloadctl CLI this code belongs to: <package root>/bin/offloadctl, run by this node. */
export function selfCli(): string[] {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'offloadctl') {
          return [process.execPath, join(dir, 'bin', 'offloadctl')];
        }
      } catch {
        /* keep looking */
      }
    }
    dir = dirname(dir);
  }
  throw new OffloadError('system', 'cannot find the offloadctl package (bin/offloadctl) to run apply');
}

/** A profile name, or a policy file when it looks like a path. */
export function policyArgs(profile: string): string[] {
  return /[/\\]|\.(ya?ml|json)$/i.test(profile) ? ['--policy', profile] : ['--profile', profile];
}

/**
 * Run the CLI; retry briefly when it could not even load (dist/ being rebuilt by `npm run build` at
 * that moment): such a run changed nothing.
 */
async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  for (let attempt = 0; ; attempt++) {
    const r = await runDetached(argv, 120_000);
    const loadFailure =
      r.code !== 0 &&
      !r.stdout.trim() &&
      /cannot load dist|importModuleDynamically|ERR_MODULE_NOT_FOUND|Cannot find module/.test(r.stderr);
    if (!loadFailure || attempt >= 3) return r;
    await new Promise((res) => setTimeout(res, 1500));
  }
}

/**
 * Like exec.ts run(), but in a process group of its own: a terminal's Ctrl-C goes to the bench (which
 * then stops and restores), not into the middle of an apply or restore, which are short.
 */
function runDetached(argv: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      timeout: timeoutMs,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop() ?? '';
}

export function cliApplier(o: CliApplierOptions): ProfileApplier {
  const cli = selfCli();
  const pre = [...cli, ...(o.netns ? ['--netns', o.netns] : []), ...(o.backend ? ['--backend', o.backend] : [])];
  const snapshots: string[] = [];
  const startedAt = Date.now();
  const ifaceArgs = (o.interfaces ?? []).flatMap((g) => ['--interface', g]);
  return {
    snapshots,
    async apply(profile) {
      const r = await runCli([
        ...pre,
        'apply',
        ...policyArgs(profile),
        '--yes',
        '--json',
        '--state-dir',
        o.stateDir,
        ...ifaceArgs,
      ]);
      let rep: { snapshot?: string | null; status?: string; counts?: { changed?: number } };
      try {
        rep = JSON.parse(r.stdout);
      } catch {
        throw new OffloadError(
          r.code === 2 ? 'input' : 'system',
          `applying ${profile} failed (exit ${r.code}): ${lastLine(r.stderr) || lastLine(r.stdout) || 'no output'}`,
        );
      }
      if (rep.snapshot) snapshots.push(rep.snapshot);
      if (rep.status === 'rolled-back' || (r.code !== 0 && r.code !== 1)) {
        throw new OffloadError(
          'system',
          `applying ${profile} failed (${rep.status ?? `exit ${r.code}`}): ${lastLine(r.stderr)}`,
        );
      }
      return {
        profile,
        snapshot: rep.snapshot ?? null,
        status: rep.status ?? 'unknown',
        changed: rep.counts?.changed ?? 0,
      };
    },
    async restoreAll() {
      const out: RestoreOutcome = { ok: true, restored: [], errors: [] };
      // Also any snapshot an apply wrote without telling us (killed before it printed its report):
      // those of this namespace, in this state dir, taken since this applier started.
      const found = new Map<string, number>();
      try {
        const { SnapshotStore } = await import('../apply/store.js');
        const ns = o.netns ?? process.env.OFFLOADCTL_NETNS ?? null;
        for (const s of new SnapshotStore(o.stateDir).list()) {
          if (snapshots.includes(s.id) || (s.netns ?? null) !== ns || Date.parse(s.createdAt) < startedAt) continue;
          if (s.status === 'restored' || s.status === 'rolled-back' || s.status === 'corrupt') continue;
          found.set(s.id, Date.parse(s.createdAt));
        }
      } catch {
        /* no state dir yet: nothing was applied */
      }
      // Found ones come from the last, interrupted apply(s): newest first, then ours newest first.
      const ids = [...[...found.keys()].sort((a, b) => found.get(b)! - found.get(a)!), ...[...snapshots].reverse()];
      for (const id of ids) {
        const r = await runCli([...pre, 'restore', id, '--yes', '--json', '--state-dir', o.stateDir]);
        let ok = r.code === 0;
        try {
          const rep = JSON.parse(r.stdout) as { ok?: boolean };
          if (rep.ok === false) ok = false;
        } catch {
          ok = false;
        }
        if (ok) out.restored.push(id);
        else {
          out.ok = false;
          out.errors.push(`restore ${id}: exit ${r.code} ${lastLine(r.stderr) || lastLine(r.stdout)}`);
        }
      }
      snapshots.length = 0;
      return out;
    },
  };
}
