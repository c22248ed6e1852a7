import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderUnit } from '../../../src/agent/unit.js';
import { cliFromSource } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'olc-agent-unit-'));
after(() => rmSync(root, { recursive: true, force: true }));

const cli = cliFromSource;

test('deploy/systemd/offloadctl-agent.service is the rendered unit (defaults, token file)', () => {
  const file = readFileSync(new URL('../../../deploy/systemd/offloadctl-agent.service', import.meta.url), 'utf8');
  const rendered = renderUnit({
    execPath: '/usr/bin/offloadctl',
    args: ['--mode', 'enforce', '--listen', '127.0.0.1:9469', '--state-dir', '/var/lib/offloadctl'],
    tokenSource: '/etc/offloadctl/agent.token',
  });
  assert.equal(file, rendered);
  // It says what the agent can see, and runs as root (its state directory must be root's, as apply's).
  assert.match(file, /^# What this agent sees/m);
  assert.doesNotMatch(file, /^DynamicUser=/m);
  assert.match(file, /^CapabilityBoundingSet=CAP_NET_ADMIN$/m);
});

test('the agent accepts --libvirt-dir and --proxmox-dir like the other commands, and the unit keeps them', () => {
  const r = cli([
    'agent',
    '--install-unit',
    '--root',
    root,
    '--mode',
    'report',
    '--exec-path',
    '/usr/bin/offloadctl',
    '--libvirt-dir',
    '/srv/libvirt-status',
    '--proxmox-dir',
    '/srv/pve',
  ]);
  assert.equal(r.code, 0, r.err);
  const unit = readFileSync(join(root, 'etc/systemd/system/offloadctl-agent.service'), 'utf8');
  assert.match(
    unit,
    /^ExecStart=\/usr\/bin\/offloadctl agent --mode report --listen 127.0.0.1:9469 --libvirt-dir \/srv\/libvirt-status --proxmox-dir \/srv\/pve --state-dir \/var\/lib\/offloadctl$/m,
  );
  const d = cli(['agent', '--install-unit', '--root', root, '--mode', 'report', '--exec-path', '/usr/bin/offloadctl']);
  assert.equal(d.code, 0, d.err);
  assert.doesNotMatch(
    readFileSync(join(root, 'etc/systemd/system/offloadctl-agent.service'), 'utf8'),
    /--libvirt-dir|--proxmox-dir/,
    'defaults are left out',
  );
});
