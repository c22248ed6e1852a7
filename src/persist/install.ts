import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { OffloadError } from '../model/errors.js';
import { fsyncDir, writeFileDurable } from '../apply/durable.js';
import { underRoot } from './root.js';
import type { Coverage, Move, PersistTarget, RenderResult, RenderedFile } from './types.js';
import { MARK } from './types.js';

/**
 * Installing rendered files under ROOT: atomic (temp file, fsync, rename, fsync of the folder),
 * a backup of any file we replace (NAME.offloadctl-backup), and a manifest per target in
 * ROOT/var/lib/offloadctl/persist/TARGET.json listing what we wrote with its SHA-256, so a second
 * run says "unchanged", uninstall removes exactly that, and a hand-edited file is detected and left.
 */

export const MANIFEST_DIR = '/var/lib/offloadctl/persist';
export const BACKUP_SUFFIX = '.offloadctl-backup';

export interface ManifestFile {
  path: string;
  sha256: string;
  mode: number;
  /** Where the file we replaced was kept, or null when we created the file. */
  backup: string | null;
}

export interface Manifest {
  version: 1;
  target: PersistTarget;
  policy: string;
  installedAt: string;
  files: ManifestFile[];
  moves: Move[];
  coverage: Coverage[];
}

export type FileAction = 'created' | 'updated' | 'unchanged' | 'removed' | 'restored' | 'kept' | 'moved';

export interface FileReport {
  path: string;
  action: FileAction;
  backup?: string;
  detail?: string;
}

export interface InstallReport {
  target: PersistTarget;
  dryRun: boolean;
  /** unchanged: nothing to write; changed: something written (or would be, with --dry-run). */
  status: 'changed' | 'unchanged' | 'removed' | 'nothing-installed';
  files: FileReport[];
  warnings: string[];
}

export const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

function manifestPath(root: string, target: PersistTarget): string {
  return underRoot(root, `${MANIFEST_DIR}/${target}.json`);
}

export function readManifest(root: string, target: PersistTarget): Manifest | null {
  try {
    return JSON.parse(readFileSync(manifestPath(root, target), 'utf8')) as Manifest;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new OffloadError('system', `cannot read the persist manifest for ${target}: ${(e as Error).message}`);
  }
}

export function readManifests(root: string): Manifest[] {
  let names: string[] = [];
  try {
    names = readdirSync(underRoot(root, MANIFEST_DIR));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.json'))
    .map((n) => readManifest(root, n.slice(0, -5) as PersistTarget))
    .filter((m): m is Manifest => m !== null);
}

/** Write durably and atomically: a reader sees the old file or the new one, never a part. */
export function atomicWrite(path: string, content: string | Buffer, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileDurable(path, content, mode);
}

function readOrNull(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/** NAME.offloadctl-backup, or .1, .2 ... when that exists: a backup is never overwritten. */
function freeBackupName(root: string, path: string): string {
  let b = path + BACKUP_SUFFIX;
  for (let n = 1; existsSync(underRoot(root, b)); n++) b = `${path}${BACKUP_SUFFIX}.${n}`;
  return b;
}

function wrap<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof OffloadError) throw e;
    const err = e as NodeJS.ErrnoException;
    const cat = err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS' ? 'permission' : 'system';
    throw new OffloadError(cat, `${what}: ${err.message}`);
  }
}

/**
 * The writes of one install, all or nothing. Staging writes every new file's bytes to a temporary
 * file next to it (the only step that needs disk space) and fsyncs it; commit then renames them
 * into place (a rename needs no data blocks), keeping the replaced files as hard links until the
 * end, so a failure part-way puts everything back. Nothing temporary is left either way.
 */
class InstallTransaction {
  private staged: { tmp: string; abs: string; mode: number }[] = [];
  private ops: (
    | { kind: 'write'; abs: string; content: Buffer; mode: number }
    | { kind: 'move'; from: string; to: string }
    | { kind: 'backup'; abs: string; backup: string }
  )[] = [];
  private createdDirs: string[] = [];
  constructor(private readonly what: string) {}

  write(abs: string, content: Buffer, mode: number): void {
    this.ops.push({ kind: 'write', abs, content, mode });
  }
  move(from: string, to: string): void {
    this.ops.push({ kind: 'move', from, to });
  }
  /** Keep the current file at `backup` (a hard link: no space needed) before it is replaced. */
  backup(abs: string, backup: string): void {
    this.ops.push({ kind: 'backup', abs, backup });
  }

  commit(): void {
    // 1. Stage: every byte on disk in temporary files, or nothing.
    try {
      for (const op of this.ops) {
        if (op.kind !== 'write') continue;
        const made = mkdirSync(dirname(op.abs), { recursive: true });
        if (made) this.createdDirs.push(made);
        const tmp = join(
          dirname(op.abs),
          `.${basename(op.abs)}.offloadctl-tmp-${process.pid}-${randomBytes(3).toString('hex')}`,
        );
        const fd = openSync(
          tmp,
          constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
          op.mode,
        );
        this.staged.push({ tmp, abs: op.abs, mode: op.mode });
        try {
          for (let off = 0; off < op.content.length; ) off += writeSync(fd, op.content, off);
          fchmodSync(fd, op.mode);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
    } catch (e) {
      this.discard();
      throw this.error(e, 'nothing was installed');
    }
    // 2. Commit: renames only; undo them all if one fails.
    const undo: (() => void)[] = [];
    const kept: string[] = [];
    let next = 0;
    try {
      for (const op of this.ops) {
        if (op.kind === 'move') {
          renameSync(op.from, op.to);
          undo.push(() => renameSync(op.to, op.from));
          fsyncDir(dirname(op.to));
        } else if (op.kind === 'backup') {
          linkSync(op.abs, op.backup);
          undo.push(() => unlinkSync(op.backup));
        } else {
          const st = this.staged[next++]!;
          let old: string | null = null;
          if (existsSync(st.abs)) {
            old = `${st.abs}.offloadctl-old-${process.pid}`;
            linkSync(st.abs, old);
            kept.push(old);
          }
          renameSync(st.tmp, st.abs);
          undo.push(() => (old ? renameSync(old, st.abs) : unlinkSync(st.abs)));
          fsyncDir(dirname(st.abs));
        }
      }
    } catch (e) {
      for (const u of undo.reverse()) {
        try {
          u();
        } catch {
          /* best effort: reported below */
        }
      }
      this.discard();
      for (const k of kept) tryUnlink(k);
      throw this.error(e, 'rolled back, nothing was installed');
    }
    for (const k of kept) tryUnlink(k);
    this.staged = [];
  }

  /** Remove staged temporaries and the directories this install created. */
  private discard(): void {
    for (const s of this.staged) tryUnlink(s.tmp);
    this.staged = [];
    for (const d of this.createdDirs.reverse()) {
      try {
        rmSync(d, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    }
  }

  private error(e: unknown, outcome: string): OffloadError {
    const err = e as NodeJS.ErrnoException;
    const cat = err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS' ? 'permission' : 'system';
    const why = err.code === 'ENOSPC' ? 'no space left on the device (ENOSPC)' : err.message;
    return new OffloadError(cat, `${this.what}: ${why}; ${outcome} (no temporary file left)`, { code: err.code });
  }
}

function tryUnlink(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    /* gone */
  }
}

/** Install one target's rendered files under root. Idempotent; --dry-run reports without writing. */
export function installTarget(
  root: string,
  result: RenderResult,
  opts: { dryRun?: boolean; force?: boolean; policy: string; now?: () => Date },
): InstallReport {
  const dry = Boolean(opts.dryRun);
  const prev = readManifest(root, result.target);
  const prevFiles = new Map((prev?.files ?? []).map((f) => [f.path, f]));
  const files: FileReport[] = [];
  const warnings: string[] = [];
  const manifestFiles: ManifestFile[] = [];
  const moves: Move[] = [...(prev?.moves ?? [])];
  // All or nothing (a full disk must not leave a rule without its policy file, or no manifest):
  // every byte is written to temporary files first; only then renames put them in place.
  const tx = new InstallTransaction(`persist --target ${result.target}`);

  // 1. Moves (an existing libvirt hook goes aside, ours chains it). A dry run only pretends.
  const movedAway = new Set<string>();
  for (const mv of result.moves) {
    const from = underRoot(root, mv.from);
    const to = underRoot(root, mv.to);
    const cur = readOrNull(from);
    if (cur === null || cur.toString('utf8').includes(MARK)) continue;
    if (existsSync(to)) {
      warnings.push(
        `${mv.from} is not ours and ${mv.to} exists already: both left as they are, ${mv.from} not replaced`,
      );
      result = { ...result, files: result.files.filter((f) => f.path !== mv.from) };
      continue;
    }
    if (!dry) tx.move(from, to);
    movedAway.add(mv.from);
    files.push({ path: mv.from, action: 'moved', detail: `to ${mv.to} (chained: it still runs)` });
    if (!moves.some((m) => m.from === mv.from && m.to === mv.to)) moves.push(mv);
  }

  // 2. Files.
  for (const f of result.files) {
    const abs = underRoot(root, f.path);
    const cur = movedAway.has(f.path) ? null : readOrNull(abs);
    const want = Buffer.from(f.content);
    const mine = prevFiles.get(f.path);
    if (cur?.equals(want)) {
      files.push({ path: f.path, action: 'unchanged' });
      manifestFiles.push({ path: f.path, sha256: sha256(want), mode: f.mode, backup: mine?.backup ?? null });
      if (!dry && (statSync(abs).mode & 0o7777) !== f.mode) tx.write(abs, want, f.mode);
      continue;
    }
    let backup: string | null = mine?.backup ?? null;
    if (cur !== null && mine && sha256(cur) !== mine.sha256 && !opts.force) {
      warnings.push(`${f.path} was edited by hand since offloadctl wrote it: left as is (--force overwrites it)`);
      files.push({ path: f.path, action: 'kept', detail: 'edited by hand' });
      manifestFiles.push(mine);
      continue;
    }
    if (cur !== null && !mine) {
      // A file that is not ours (or ours from a lost manifest): keep it.
      backup = freeBackupName(root, f.path);
      const absBackup = underRoot(root, backup);
      if (!dry) tx.backup(abs, absBackup);
    }
    if (!dry) tx.write(abs, want, f.mode);
    files.push({
      path: f.path,
      action: cur === null ? 'created' : 'updated',
      ...(backup && !mine?.backup ? { backup } : {}),
    });
    manifestFiles.push({ path: f.path, sha256: sha256(want), mode: f.mode, backup });
  }

  // 3. Files we wrote before and no longer render: remove (restoring what they replaced), after the
  // new ones are in place.
  const removals: (() => void)[] = [];
  const rendered = new Set(result.files.map((f) => f.path));
  for (const old of prev?.files ?? []) {
    if (rendered.has(old.path)) continue;
    const r = removeOurFile(root, old, true, otherOwners(root, result.target, old));
    files.push(r.report);
    if (r.warning) {
      warnings.push(r.warning);
      manifestFiles.push(old);
    } else if (!dry) removals.push(() => removeOurFile(root, old, false, otherOwners(root, result.target, old)));
  }

  const changed = files.some((f) => f.action !== 'unchanged' && f.action !== 'kept');
  if (!dry && (changed || !prev)) {
    const m: Manifest = {
      version: 1,
      target: result.target,
      policy: opts.policy,
      installedAt: (opts.now ?? (() => new Date()))().toISOString(),
      files: manifestFiles,
      moves,
      coverage: result.coverage,
    };
    if (manifestFiles.length || moves.length)
      tx.write(manifestPath(root, result.target), Buffer.from(JSON.stringify(m, null, 2) + '\n'), 0o644);
  } else if (!dry && prev && JSON.stringify(prev.coverage) !== JSON.stringify(result.coverage)) {
    tx.write(
      manifestPath(root, result.target),
      Buffer.from(JSON.stringify({ ...prev, coverage: result.coverage }, null, 2) + '\n'),
      0o644,
    );
  }
  if (!dry) {
    tx.commit();
    for (const r of removals) r();
  }
  return { target: result.target, dryRun: dry, status: changed ? 'changed' : 'unchanged', files, warnings };
}

/** Other targets' manifests that list the same file with the same content (the shared policy file). */
function otherOwners(root: string, target: PersistTarget, f: ManifestFile): boolean {
  return readManifests(root).some(
    (m) => m.target !== target && m.files.some((x) => x.path === f.path && x.sha256 === f.sha256),
  );
}

function removeOurFile(
  root: string,
  f: ManifestFile,
  dry: boolean,
  shared: boolean,
): { report: FileReport; warning?: string } {
  const abs = underRoot(root, f.path);
  const cur = readOrNull(abs);
  if (cur === null) return { report: { path: f.path, action: 'removed', detail: 'was already gone' } };
  if (sha256(cur) !== f.sha256) {
    return {
      report: { path: f.path, action: 'kept', detail: 'edited by hand' },
      warning: `${f.path} was edited by hand since offloadctl wrote it: left in place${f.backup ? ` (the original is in ${f.backup})` : ''}`,
    };
  }
  if (shared) return { report: { path: f.path, action: 'kept', detail: 'another target installed it too' } };
  if (f.backup && existsSync(underRoot(root, f.backup))) {
    if (!dry)
      wrap(`restoring ${f.path}`, () => {
        renameSync(underRoot(root, f.backup!), abs);
        fsyncDir(dirname(abs));
      });
    return { report: { path: f.path, action: 'restored', detail: `from ${f.backup}` } };
  }
  if (!dry)
    wrap(`removing ${f.path}`, () => {
      unlinkSync(abs);
      fsyncDir(dirname(abs));
    });
  return { report: { path: f.path, action: 'removed' } };
}

/** Remove exactly what a target's manifest lists; hand-edited files stay, with a warning. */
export function uninstallTarget(root: string, target: PersistTarget, opts: { dryRun?: boolean } = {}): InstallReport {
  const dry = Boolean(opts.dryRun);
  const m = readManifest(root, target);
  if (!m) return { target, dryRun: dry, status: 'nothing-installed', files: [], warnings: [] };
  const files: FileReport[] = [];
  const warnings: string[] = [];
  for (const f of [...m.files].reverse()) {
    const r = removeOurFile(root, f, dry, otherOwners(root, target, f));
    files.push(r.report);
    if (r.warning) warnings.push(r.warning);
  }
  for (const mv of [...m.moves].reverse()) {
    const from = underRoot(root, mv.from);
    const to = underRoot(root, mv.to);
    if (!existsSync(to)) continue;
    if (existsSync(from)) {
      warnings.push(`${mv.to} not moved back: ${mv.from} exists (ours was edited by hand?)`);
      continue;
    }
    if (!dry)
      wrap(`moving ${mv.to} back`, () => {
        renameSync(to, from);
        fsyncDir(dirname(from));
      });
    files.push({ path: mv.from, action: 'restored', detail: `moved back from ${mv.to}` });
  }
  if (!dry) wrap('removing the persist manifest', () => unlinkSync(manifestPath(root, target)));
  return { target, dryRun: dry, status: 'removed', files, warnings };
}

export type { RenderedFile };

export interface ManifestHealth {
  problems: string[];
  /** Files missing or changed: coverage that depends on them does not count. */
  badFiles: string[];
  /** A problem of the whole target (tuned profile not active). */
  whole: boolean;
}

/** Is what a manifest lists still in place as written? (for --check) */
export function manifestHealth(root: string, m: Manifest): ManifestHealth {
  const problems: string[] = [];
  const badFiles: string[] = [];
  for (const f of m.files) {
    const cur = readOrNull(underRoot(root, f.path));
    let p: string | null = null;
    if (cur === null) p = `${f.path} is missing`;
    else if (sha256(cur) !== f.sha256) p = `${f.path} was changed since it was installed`;
    else if (f.mode & 0o111 && !(statSync(underRoot(root, f.path)).mode & 0o100)) p = `${f.path} is not executable`;
    if (p) {
      problems.push(p);
      badFiles.push(f.path);
    }
  }
  let whole = false;
  if (m.target === 'tuned') {
    const active = readOrNull(underRoot(root, '/etc/tuned/active_profile'))?.toString('utf8').trim().split(/\s+/) ?? [];
    if (!active.includes('offloadctl')) {
      problems.push('the tuned profile offloadctl is not active (tuned-adm profile offloadctl)');
      whole = true;
    }
  }
  return { problems, badFiles, whole };
}

export function verifyManifest(root: string, m: Manifest): string[] {
  return manifestHealth(root, m).problems;
}
