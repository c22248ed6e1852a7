import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * deploy/systemd/offloadctl-agent.service is what packages ship; it must be exactly what
 * `offloadctl agent --install-unit` writes for the shipped options, so a change to renderUnit()
 * cannot leave the shipped copy behind (or the other way round).
 */
const root = mkdtempSync(join(tmpdir(), 'olc-shipped-unit-'));
after(() => rmSync(root, { recursive: true, force: true }));

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
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
  const code = `import { main } from ${JSON.stringify(MAIN)}; process.exitCode = await main(['node', 'offloadctl', ...JSON.parse(process.env.OLC_ARGS)]);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8',
    env: { ...process.env, OLC_ARGS: JSON.stringify(args) },
  });
  assert.equal(r.status, 0, r.stderr);
  const rendered = readFileSync(join(root, 'etc/systemd/system/offloadctl-agent.service'), 'utf8');
  assert.equal(
    readFileSync(SHIPPED, 'utf8'),
    rendered,
    'deploy/systemd/offloadctl-agent.service differs from the rendered unit: regenerate it with the command above',
  );
});
