import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../../../deploy/prometheus/', import.meta.url));
const noPromtool = spawnSync('promtool', ['--version']).error
  ? 'promtool not installed (Debian package prometheus)'
  : false;

test('example alert and recording rules pass promtool check rules and promtool test rules', {
  skip: noPromtool,
}, () => {
  const check = spawnSync('promtool', ['check', 'rules', 'offloadctl-alerts.yml', 'offloadctl-rules.yml'], {
    cwd: dir,
    encoding: 'utf8',
  });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  const t = spawnSync('promtool', ['test', 'rules', 'offloadctl-alerts.test.yml', 'offloadctl-rules.test.yml'], {
    cwd: dir,
    encoding: 'utf8',
  });
  assert.equal(t.status, 0, t.stdout + t.stderr);
});
