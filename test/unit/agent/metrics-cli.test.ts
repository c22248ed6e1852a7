import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliFromSource } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'olc-agent-metrics-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

const cli = cliFromSource;

// --install-unit --root only: nothing starts an agent in this machine's root namespace.
test("agent metrics options go into the unit's ExecStart; a bad --metrics-features is a usage error", () => {
  const r = cli([
    'agent',
    '--install-unit',
    '--root',
    root,
    '--mode',
    'report',
    '--exec-path',
    '/usr/bin/offloadctl',
    '--metrics-features',
    'none',
    '--metrics-role',
    'vm-port',
    '--metrics-exclude',
    'tap9*',
    '--metrics-include',
    'vnet*',
    '--metrics-exclude-role',
    'bridge',
  ]);
  assert.equal(r.code, 0, r.err);
  const unit = readFileSync(join(root, 'etc/systemd/system/offloadctl-agent.service'), 'utf8');
  assert.match(
    unit,
    /^ExecStart=\/usr\/bin\/offloadctl agent --mode report --listen 127.0.0.1:9469 --metrics-features none --metrics-include "?vnet\*"? --metrics-exclude "?tap9\*"? --metrics-role vm-port --metrics-exclude-role bridge --state-dir \/var\/lib\/offloadctl$/m,
  );
  assert.equal(cli(['agent', '--install-unit', '--root', root, '--metrics-features', 'everything']).code, 2);
  const bad = cli(['agent', '--install-unit', '--root', root, '--metrics-include', 'vnet[']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /invalid --metrics-include "vnet\[":/);
});
