import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cliFromSource } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'olc-agent-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

const cli = cliFromSource;

test('--install-unit --root writes the unit under the root only', async () => {
  const r = await cli([
    'agent',
    '--install-unit',
    '--root',
    root,
    '--profile',
    'tso-gso-sg-off',
    '--mode',
    'report',
    '--exec-path',
    '/usr/bin/offloadctl',
  ]);
  assert.equal(r.code, 0, r.err);
  const unit = readFileSync(join(root, 'etc/systemd/system/offloadctl-agent.service'), 'utf8');
  assert.match(
    unit,
    /^ExecStart=\/usr\/bin\/offloadctl agent --profile tso-gso-sg-off --mode report --listen 127.0.0.1:9469 --state-dir \/var\/lib\/offloadctl$/m,
  );
  assert.match(r.out, /wrote .*offloadctl-agent.service/);
});

// Every call carries --install-unit --root: even if validation regressed, nothing would start an
// agent in this machine's root namespace. (The token-file check through the CLI runs in
// test/netns/agent-enforce.test.ts, inside a namespace.)
test('usage errors exit 2 before anything else', async () => {
  const safe = ['--install-unit', '--root', root, '--mode', 'report'];
  assert.equal((await cli(['agent', ...safe, '--listen', '10.1.2.3:9469'])).code, 2);
  assert.equal((await cli(['agent', ...safe, '--listen', '0.0.0.0:9469', '--allow-remote'])).code, 2);
  assert.equal((await cli(['agent', ...safe, '--listen', 'nonsense'])).code, 2);
  assert.equal((await cli(['agent', ...safe, '--profile', 'no-such-profile'])).code, 2);
  assert.equal((await cli(['agent', ...safe, '--window-ms', 'x'])).code, 2);
  assert.equal((await cli(['agent', '--install-unit', '--root', root, '--mode', 'sometimes'])).code, 2);
  const r = await cli([
    'agent',
    ...safe,
    '--listen',
    '0.0.0.0:9469',
    '--allow-remote',
    '--token-file',
    '/etc/offloadctl/agent.token',
  ]);
  assert.equal(r.code, 0, r.err);
  assert.match(
    readFileSync(join(root, 'etc/systemd/system/offloadctl-agent.service'), 'utf8'),
    /^LoadCredential=token:\/etc\/offloadctl\/agent.token$/m,
  );
  assert.match(
    readFileSync(join(root, 'etc/systemd/system/offloadctl-agent.service'), 'utf8'),
    /^CPUSchedulingPolicy=fifo$/m,
  );
  assert.equal((await cli(['agent', ...safe, '--scheduling', 'normal'])).code, 0);
  assert.doesNotMatch(readFileSync(join(root, 'etc/systemd/system/offloadctl-agent.service'), 'utf8'), /CPUScheduling/);
  assert.equal((await cli(['agent', ...safe, '--scheduling', 'fast'])).code, 2);
});

const noAnalyze = spawnSync('systemd-analyze', ['--version']).error ? 'systemd-analyze not installed' : false;
test('systemd-analyze verify accepts the rendered unit', { skip: noAnalyze }, async () => {
  // Any existing executable outside /root, /home and /tmp (where a checkout may be, and which the
  // unit refuses): systemd-analyze only checks that ExecStart's program exists.
  const bin = process.execPath;
  const r = await cli([
    'agent',
    '--install-unit',
    '--root',
    root,
    '--exec-path',
    bin,
    '--token-file',
    '/etc/offloadctl/agent.token',
    '--policy',
    fileURLToPath(new URL('./fixtures.ts', import.meta.url)),
  ]);
  // a .ts file is not a policy: expect exit 2; then render with a profile
  assert.equal(r.code, 2);
  const r2 = await cli([
    'agent',
    '--install-unit',
    '--root',
    root,
    '--exec-path',
    bin,
    '--token-file',
    '/etc/offloadctl/agent.token',
  ]);
  assert.equal(r2.code, 0, r2.err);
  // --man=no: Documentation= names offloadctl's own man pages, installed by the package, not here.
  const v = spawnSync(
    'systemd-analyze',
    ['verify', '--man=no', join(root, 'etc/systemd/system/offloadctl-agent.service')],
    { encoding: 'utf8' },
  );
  assert.equal(v.status, 0, v.stdout + v.stderr);
});
