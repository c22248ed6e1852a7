import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkNetnsName, renderUnit, UNIT_LIMIT_NOFILE, unitName } from '../../../src/agent/unit.js';

const BIN = fileURLToPath(new URL('../../../bin/offloadctl', import.meta.url));
const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

test('unit: LimitNOFILE is set; a namespace is carried in (NetworkNamespacePath, RequiresMountsFor), with a unit name of its own', () => {
  const host = renderUnit({ execPath: '/usr/bin/offloadctl', args: [] }).split('\n');
  assert.ok(host.includes(`LimitNOFILE=${UNIT_LIMIT_NOFILE}`));
  assert.ok(!host.some((l) => l.startsWith('NetworkNamespacePath=')));
  const ns = renderUnit({
    execPath: '/usr/bin/offloadctl',
    args: ['--state-dir', '/var/lib/offloadctl/netns-lab-1'],
    netns: 'lab-1',
  }).split('\n');
  assert.ok(ns.includes('NetworkNamespacePath=/run/netns/lab-1'));
  assert.ok(ns.includes('RequiresMountsFor=/run/netns/lab-1'));
  assert.ok(ns.includes('StateDirectory=offloadctl/netns-lab-1'));
  assert.ok(ns.indexOf('NetworkNamespacePath=/run/netns/lab-1') > ns.indexOf('[Service]'));
  assert.equal(unitName('lab-1'), 'offloadctl-agent-netns-lab-1.service');
  assert.equal(unitName(), 'offloadctl-agent.service');
  for (const bad of ['', '.', '..', '-x', 'a/b', 'a b', 'a%b', 'a\nb']) {
    assert.ok(checkNetnsName(bad), JSON.stringify(bad));
    assert.throws(() => renderUnit({ execPath: '/usr/bin/offloadctl', args: [], netns: bad }));
  }
  assert.equal(checkNetnsName('lab_1.x-y'), null);
});

test('unit: systemd-analyze verify accepts the host and the namespace unit', {
  skip: hasAnalyze ? false : 'systemd-analyze not installed',
}, () => {
  const d = mkdtempSync(join(tmpdir(), 'olc-unit-verify-'));
  try {
    for (const netns of [undefined, 'lab-1']) {
      const p = join(d, unitName(netns));
      writeFileSync(
        p,
        renderUnit({ execPath: BIN, args: ['--mode', 'enforce'], netns, tokenSource: '/etc/offloadctl/agent.token' }),
      );
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', p], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${p}: ${r.stderr}`);
    }
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
