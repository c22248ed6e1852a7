import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliFromSource } from './run-cli.js';

/**
 * deploy/systemd/offloadctl-agent.service is what packages ship; it must be exactly what
 * `offloadctl agent --install-unit` writes for the shipped options, so a change to renderUnit()
 * cannot leave the shipped copy behind (or the other way round).
 */
const root = mkdtempSync(join(tmpdir(), 'olc-shipped-unit-'));
after(() => rmSync(root, { recursive: true, force: true }));

const SHIPPED = fileURLToPath(new URL('../../../deploy/systemd/offloadctl-agent.service', import.meta.url));

test('the shipped unit file equals the unit `agent --install-unit` renders', () => {
  const args = [
    'agent',
    '--install-unit',
    '--root',
    root,
    '--exec-path',
    '/usr/bin/offloadctl',
    '--token-file',
    '/etc/offloadctl/agent.token',
  ];
  const r = cliFromSource(args);
  assert.equal(r.code, 0, r.err);
  const rendered = readFileSync(join(root, 'etc/systemd/system/offloadctl-agent.service'), 'utf8');
  assert.equal(
    readFileSync(SHIPPED, 'utf8'),
    rendered,
    'deploy/systemd/offloadctl-agent.service differs from the rendered unit: regenerate it with the command above',
  );
});
