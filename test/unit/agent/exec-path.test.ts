import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unitExecPath } from '../../../src/agent/exec-path.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const id = (p: string) => p;

test('unitExecPath: the invoked path (a symlink is not followed), --exec-path first', () => {
  assert.equal(
    unitExecPath(undefined, '/usr/bin/offloadctl', () => '/usr/lib/offloadctl/bin/offloadctl'),
    '/usr/bin/offloadctl',
  );
  assert.equal(unitExecPath('/opt/olc/bin/offloadctl', '/usr/bin/offloadctl', id), '/opt/olc/bin/offloadctl');
  assert.equal(unitExecPath(undefined, undefined, id), '/usr/bin/offloadctl');
});

test('unitExecPath: refuses what ProtectHome=/PrivateTmp= hide from the unit (exit 2)', () => {
  for (const p of [
    '/root/offloadctl/bin/offloadctl',
    '/home/u/olc/bin/offloadctl',
    '/tmp/x/bin/offloadctl',
    '/var/tmp/o',
    '/run/user/0/o',
  ]) {
    assert.throws(
      () => unitExecPath(undefined, p, id),
      (e: { category?: string; message: string }) => e.category === 'usage' && /cannot see/.test(e.message),
      p,
    );
    assert.throws(() => unitExecPath(p, '/usr/bin/offloadctl', id), /--exec-path/, p);
  }
  // A symlink in /usr/local/bin to a checkout under /home: refused too.
  assert.throws(
    () => unitExecPath(undefined, '/usr/local/bin/offloadctl', () => '/home/u/olc/bin/offloadctl'),
    /\/home/,
  );
  assert.throws(() => unitExecPath('relative/offloadctl', undefined, id), /absolute/);
  assert.equal(unitExecPath(undefined, '/tmpfoo/offloadctl', id), '/tmpfoo/offloadctl');
});

// The defect (issue 17): run from a copy under /tmp, --install-unit wrote that path into ExecStart
// and exited 0; the unit could never start it. Now: exit 2, nothing written.
const bundle = join(ROOT, 'dist/main.cjs');
test('agent --install-unit from a build under /tmp exits 2 and writes no unit', {
  skip: existsSync(bundle) ? false : 'needs npm run build',
}, () => {
  const dir = mkdtempSync('/tmp/olc-exec-path-');
  try {
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'dist'));
    copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    copyFileSync(join(ROOT, 'bin/offloadctl'), join(dir, 'bin/offloadctl'));
    copyFileSync(join(ROOT, 'bin/package.json'), join(dir, 'bin/package.json')); // bin/offloadctl is CommonJS
    copyFileSync(bundle, join(dir, 'dist/main.cjs'));
    const root = join(dir, 'root');
    const r = spawnSync(
      process.execPath,
      [join(dir, 'bin/offloadctl'), 'agent', '--install-unit', '--root', root, '--mode', 'report'],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /under \/tmp, which the agent's unit cannot see/);
    assert.ok(!existsSync(root) || readdirSync(root).length === 0, 'no unit written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
