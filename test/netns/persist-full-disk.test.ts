import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, deleteNetns, uniquePrefix } from '../../src/lab/netns.js';
import { run } from '../../src/kernel/exec.js';
import { CLI, skipReason } from './helpers/cli.js';
import { holdPrivateTmpfs } from './helpers/private-tmpfs.js';

/**
 * `persist` on a full disk (issue 14 item 11): --root is a small tmpfs in a private mount
 * namespace this test creates (`unshare -m`), filled so that only k pages are free, k = 0, 1, 2 ...
 * until the install fits. Every time: exit 0 with every file and the manifest in place (the
 * manifest's SHA-256s match the files), or exit 3 with one line and nothing installed — no rule
 * without its policy, no temporary file. Then an update (another policy) on a full disk leaves the
 * previous install exactly as it was. Oracle: the file tree (`find`, `sha256sum`), not our report.
 */
const skip = skipReason('unshare', 'nsenter');
let ns = '';
let holder: ChildProcess | null = null;
let root = '';

before(async () => {
  if (skip) return;
  ns = await createNetns(`${uniquePrefix('pfd')}a`);
  root = mkdtempSync(join(tmpdir(), 'olc-pfd-'));
  holder = await holdPrivateTmpfs(root, 'size=512k');
});

after(async () => {
  if (holder?.pid) holder.kill('SIGKILL');
  if (ns) await deleteNetns(ns);
  if (root) rmSync(root, { recursive: true, force: true });
});

function inMnt(argv: string[]) {
  return run(['nsenter', '-t', String(holder!.pid), '-m', '--', 'ip', 'netns', 'exec', ns, ...argv], {
    env: { ...process.env, OFFLOADCTL_NETNS: ns },
    timeoutMs: 120_000,
  });
}
const sh = (script: string) => inMnt(['sh', '-c', script, 'sh', root]);

/** Every file under the root but the filler: path → sha256. */
async function tree(): Promise<Record<string, string>> {
  const r = await sh('cd "$1" && find . -type f ! -name filler -exec sha256sum {} +');
  const out: Record<string, string> = {};
  for (const line of r.stdout.trim().split('\n').filter(Boolean)) {
    const [sum, path] = line.split(/\s+/);
    out[path!.slice(1)] = sum!;
  }
  return out;
}

/** Fill the tmpfs so that `pages` pages stay free. */
async function fill(pages: number): Promise<void> {
  const r = await sh(
    `rm -f "$1/filler"; avail=$(df -B1 --output=avail "$1" | tail -n 1); head -c $((avail - ${pages} * 4096)) /dev/zero > "$1/filler"`,
  );
  assert.equal(r.code, 0, r.stderr);
}

const persistArgs = (profile: string) => [
  process.execPath,
  CLI,
  'persist',
  '--target',
  'udev',
  '--root',
  root,
  '--profile',
  profile,
  '--offloadctl-path',
  '/usr/bin/offloadctl',
];

test('persist on a full disk: all or nothing, always a manifest of what is installed, no temporary file', {
  skip,
  timeout: 300_000,
}, async (t) => {
  let installed: Record<string, string> = {};
  let cases = 0;
  for (let pages = 0; pages < 40; pages++) {
    await sh('find "$1" -mindepth 1 -maxdepth 1 ! -name filler -exec rm -rf {} +');
    await fill(pages);
    const r = await inMnt(persistArgs('tso-gso-off'));
    const files = await tree();
    cases++;
    assert.ok(
      !Object.keys(files).some((f) => /tmp|offloadctl-old/.test(f)),
      `${pages} pages: no temporary file: ${Object.keys(files)}`,
    );
    if (r.code === 0) {
      installed = files;
      break;
    }
    assert.equal(r.code, 3, `${pages} pages free: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
    assert.match(r.stderr, /no space left.*nothing was installed/);
    assert.deepEqual(files, {}, `${pages} pages free: nothing installed`);
  }
  assert.ok(cases > 1, 'at least one install met a full disk');
  t.diagnostic(
    `${cases - 1} installs met a full disk (0..${cases - 2} pages free), all refused whole; installed with ${cases - 1} pages free`,
  );
  // What the manifest lists is what is there.
  const manifestPath = '/var/lib/offloadctl/persist/udev.json';
  assert.ok(installed[manifestPath], JSON.stringify(installed));
  const manifest = JSON.parse((await sh(`cat "$1${manifestPath}"`)).stdout) as {
    files: { path: string; sha256: string }[];
  };
  assert.deepEqual(
    manifest.files.map((f) => [f.path, f.sha256]).sort(),
    Object.entries(installed)
      .filter(([p]) => p !== manifestPath)
      .sort(),
  );
  assert.ok(
    manifest.files.some((f) => f.path.endsWith('policy.yaml')) && manifest.files.some((f) => f.path.endsWith('.rules')),
  );
  // An update (another policy) on a full disk: the previous install stays exactly as it was.
  await fill(0);
  const up = await inMnt(persistArgs('tso-gso-sg-off'));
  assert.equal(up.code, 3, up.stderr);
  assert.deepEqual(await tree(), installed, 'the previous install is intact');
  // With space again the update goes through, and uninstall removes everything.
  await sh('rm -f "$1/filler"');
  const ok = await inMnt(persistArgs('tso-gso-sg-off'));
  assert.equal(ok.code, 0, ok.stderr);
  const un = await inMnt([process.execPath, CLI, 'persist', '--target', 'udev', '--root', root, '--uninstall']);
  assert.equal(un.code, 0, un.stderr);
  assert.deepEqual(await tree(), {});
});
