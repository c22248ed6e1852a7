import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryRoot } from '../../../src/persist/root.js';
import { render } from '../../../src/persist/render/index.js';
import type { PersistTarget, RenderInput } from '../../../src/persist/types.js';
import { OPTS, schemes } from './fixtures.js';

/**
 * Issue 15 item 1: the boot-path commands (udev RUN, the libvirt qemu hook) must not swallow a
 * failing apply (`>/dev/null 2>&1 || true`): the failure reaches syslog/the journal (logger -t
 * offloadctl) and the exit code is not hidden, while a VM's start is not failed because of it.
 */
const input = (over: Partial<RenderInput> = {}): RenderInput => ({
  interfaces: [],
  vmSchemes: schemes(),
  root: memoryRoot({}),
  options: OPTS,
  ...over,
});

test('no rendered boot-path command discards its output and exit status', () => {
  for (const target of ['udev', 'libvirt-hook'] as PersistTarget[]) {
    for (const f of render(target, input()).files) {
      assert.doesNotMatch(f.content, />\s*\/dev\/null\s+2>&1\s*\|\|\s*true/, `${target}: ${f.path}`);
    }
  }
  const rule = render('udev', input()).files[0]!.content;
  for (const m of rule.matchAll(/RUN\+="([^"]*)"/g)) {
    if (m[1]!.includes('offloadctl'))
      assert.match(m[1]!, / --syslog(\s|$)/, 'offloadctl logs its own failure to syslog under udev');
  }
});

test('libvirt hook: a failing apply is logged with logger -t offloadctl, the VM start still succeeds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'olc-hooklog-'));
  try {
    // Stand-ins under test/: an offloadctl that fails like a lock timeout, and a logger that records its argv+stdin.
    const fakeCli = join(dir, 'offloadctl');
    writeFileSync(
      fakeCli,
      '#!/bin/sh\necho "offloadctl: another offloadctl apply or restore (pid 7) is using /var/lib/offloadctl" >&2\nexit 3\n',
    );
    const fakeLogger = join(dir, 'logger');
    writeFileSync(
      fakeLogger,
      `#!/bin/sh\n{ printf 'ARGS %s\\n' "$*"; if [ "$5" != "--" ]; then cat; fi; } >> ${dir}/log\n`,
    );
    chmodSync(fakeCli, 0o755);
    chmodSync(fakeLogger, 0o755);
    const hook = render('libvirt-hook', input({ options: { ...OPTS, offloadctlPath: fakeCli } })).files[0]!;
    const path = join(dir, 'qemu');
    writeFileSync(path, hook.content, { mode: 0o755 });
    const xml = "<domain><devices><interface type='bridge'><target dev='vnet3'/></interface></devices></domain>";
    const r = spawnSync(path, ['dom1', 'started', 'begin', '-'], {
      input: xml,
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `the VM start is not failed: ${r.stderr}`);
    const log = readFileSync(join(dir, 'log'), 'utf8');
    assert.match(log, /ARGS -t offloadctl -p daemon\.err/);
    assert.match(log, /another offloadctl apply or restore \(pid 7\)/, 'the reason reaches the log');
    assert.match(log, /exit 3: .*offloadctl apply --interface vnet3/, 'the exit status and the command reach the log');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
