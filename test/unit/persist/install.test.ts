import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installTarget, readManifest, uninstallTarget, verifyManifest } from '../../../src/persist/install.js';
import type { RenderResult } from '../../../src/persist/types.js';

function tmpRoot(t: { after: (fn: () => void) => void }): string {
  const root = mkdtempSync(join(tmpdir(), 'olc-persist-unit-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

const result = (files: RenderResult['files'], moves: RenderResult['moves'] = []): RenderResult => ({
  target: 'udev',
  files,
  moves,
  coverage: [{ match: 'vnet*', when: 'vm-start', covered: ['tx-generic-segmentation'], uncovered: [] }],
  notes: [],
  commands: [],
});

const RULE = {
  path: '/etc/udev/rules.d/90-offloadctl-vm-ports.rules',
  content: '# offloadctl:persist\nA\n',
  mode: 0o644,
};

test('install writes atomically with the mode; a second run is "unchanged"; the manifest lists hashes', (t) => {
  const root = tmpRoot(t);
  const a = installTarget(root, result([RULE]), { policy: 'p' });
  assert.equal(a.status, 'changed');
  assert.deepEqual(
    a.files.map((f) => f.action),
    ['created'],
  );
  const abs = join(root, RULE.path);
  assert.equal(readFileSync(abs, 'utf8'), RULE.content);
  assert.equal(statSync(abs).mode & 0o777, 0o644);
  const b = installTarget(root, result([RULE]), { policy: 'p' });
  assert.equal(b.status, 'unchanged');
  const m = readManifest(root, 'udev')!;
  assert.equal(m.files[0]!.path, RULE.path);
  assert.match(m.files[0]!.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(verifyManifest(root, m), []);
});

test('a replaced foreign file is backed up and restored on uninstall', (t) => {
  const root = tmpRoot(t);
  const abs = join(root, RULE.path);
  mkdirSync(join(root, 'etc/udev/rules.d'), { recursive: true });
  writeFileSync(abs, 'operator rule\n');
  const a = installTarget(root, result([RULE]), { policy: 'p' });
  assert.equal(a.files[0]!.action, 'updated');
  assert.equal(a.files[0]!.backup, RULE.path + '.offloadctl-backup');
  assert.equal(readFileSync(abs + '.offloadctl-backup', 'utf8'), 'operator rule\n');
  const u = uninstallTarget(root, 'udev');
  assert.equal(u.files[0]!.action, 'restored');
  assert.equal(readFileSync(abs, 'utf8'), 'operator rule\n');
  assert.ok(!existsSync(abs + '.offloadctl-backup'));
  assert.equal(readManifest(root, 'udev'), null);
});

test('dry run writes nothing', (t) => {
  const root = tmpRoot(t);
  const a = installTarget(root, result([RULE]), { policy: 'p', dryRun: true });
  assert.equal(a.status, 'changed');
  assert.ok(!existsSync(join(root, RULE.path)));
  assert.ok(!existsSync(join(root, 'var')));
});

test('uninstall removes exactly what it wrote and leaves a hand-edited file with a warning', (t) => {
  const root = tmpRoot(t);
  const other = { ...RULE, path: '/etc/udev/rules.d/91-offloadctl-b.rules' };
  installTarget(root, result([RULE, other]), { policy: 'p' });
  writeFileSync(join(root, 'etc/udev/rules.d/50-mine.rules'), 'not ours\n');
  writeFileSync(join(root, other.path), 'edited\n');
  assert.deepEqual(verifyManifest(root, readManifest(root, 'udev')!), [
    `${other.path} was changed since it was installed`,
  ]);
  const again = installTarget(root, result([RULE, other]), { policy: 'p' });
  assert.equal(again.files[1]!.action, 'kept', 'install does not overwrite a hand edit without --force');
  const u = uninstallTarget(root, 'udev');
  assert.equal(u.warnings.length, 1);
  assert.match(u.warnings[0]!, /edited by hand/);
  assert.ok(!existsSync(join(root, RULE.path)));
  assert.equal(readFileSync(join(root, other.path), 'utf8'), 'edited\n');
  assert.equal(readFileSync(join(root, 'etc/udev/rules.d/50-mine.rules'), 'utf8'), 'not ours\n');
});

test('a file no longer rendered is removed on the next install', (t) => {
  const root = tmpRoot(t);
  const other = { ...RULE, path: '/etc/udev/rules.d/91-offloadctl-b.rules' };
  installTarget(root, result([RULE, other]), { policy: 'p' });
  const r = installTarget(root, result([RULE]), { policy: 'p' });
  assert.deepEqual(
    r.files.map((f) => [f.path, f.action]),
    [
      [RULE.path, 'unchanged'],
      [other.path, 'removed'],
    ],
  );
  assert.ok(!existsSync(join(root, other.path)));
});

test('an existing hook is moved aside (chained) and moved back on uninstall', (t) => {
  const root = tmpRoot(t);
  const hook = join(root, 'etc/libvirt/hooks/qemu');
  mkdirSync(join(root, 'etc/libvirt/hooks'), { recursive: true });
  writeFileSync(hook, '#!/bin/sh\necho original\n');
  chmodSync(hook, 0o755);
  const ours = { path: '/etc/libvirt/hooks/qemu', content: '#!/bin/sh\n# offloadctl:persist\n', mode: 0o755 };
  const mv = [{ from: '/etc/libvirt/hooks/qemu', to: '/etc/libvirt/hooks/qemu.offloadctl-chained' }];
  const r = { ...result([ours], mv), target: 'libvirt-hook' as const };
  const a = installTarget(root, r, { policy: 'p' });
  assert.deepEqual(
    a.files.map((f) => f.action),
    ['moved', 'created'],
  );
  assert.equal(readFileSync(hook + '.offloadctl-chained', 'utf8'), '#!/bin/sh\necho original\n');
  assert.equal(installTarget(root, r, { policy: 'p' }).status, 'unchanged');
  uninstallTarget(root, 'libvirt-hook');
  assert.equal(readFileSync(hook, 'utf8'), '#!/bin/sh\necho original\n');
  assert.equal(statSync(hook).mode & 0o777, 0o755);
  assert.ok(!existsSync(hook + '.offloadctl-chained'));
});

test('a file two targets installed (the policy file) stays until the last one is uninstalled', (t) => {
  const root = tmpRoot(t);
  const policy = { path: '/etc/offloadctl/policy.yaml', content: 'name: x\n', mode: 0o644 };
  installTarget(root, result([RULE, policy]), { policy: 'p' });
  installTarget(root, { ...result([policy]), target: 'libvirt-hook' }, { policy: 'p' });
  uninstallTarget(root, 'udev');
  assert.ok(existsSync(join(root, policy.path)));
  uninstallTarget(root, 'libvirt-hook');
  assert.ok(!existsSync(join(root, policy.path)));
});
