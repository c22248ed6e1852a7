import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { audit } from '../../../src/audit/audit.js';
import { escapeLabel, renderAuditPrometheus } from '../../../src/audit/prometheus.js';
import { writeTextfileAtomically } from '../../../src/audit/textfile.js';
import { loadPolicy, resolvePolicy } from '../../../src/policy/index.js';
import { kvmHost } from '../policy/helpers.js';

const noPromtool = spawnSync('promtool', ['--version']).error
  ? 'promtool not installed (Debian package prometheus)'
  : false;

function render() {
  const obs = kvmHost();
  const desired = resolvePolicy(loadPolicy({ profile: 'tso-gso-off' }), obs);
  const report = audit(obs, desired, { source: 'builtin' });
  return { obs, report, text: renderAuditPrometheus(report, desired, obs) };
}

test("audit as Prometheus text: the agent's per-interface names, one compliance series per audited interface", () => {
  const { report, text } = render();
  const compliant = text.split('\n').filter((l) => l.startsWith('offloadctl_interface_compliant{'));
  assert.equal(compliant.length, report.summary.audited);
  assert.ok(!/interface="lo"/.test(text), 'loopback is not audited');
  assert.match(text, /^offloadctl_feature_compliant\{interface="br0",feature="tx-tcp-segmentation"\} 0$/m);
  assert.match(text, /^offloadctl_audit_compliant 0$/m);
  assert.match(text, new RegExp(`^offloadctl_audit_deviating_interfaces ${report.summary.deviating}$`, 'm'));
  assert.match(text, /^offloadctl_audit_info\{policy="tso-gso-off"\} 1$/m);
  assert.match(
    text,
    new RegExp(`^offloadctl_audit_last_run_timestamp_seconds ${Date.parse(report.takenAt) / 1000}$`, 'm'),
  );
});

test('audit as Prometheus text passes promtool check metrics', { skip: noPromtool }, () => {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: render().text, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('label values are escaped as the text format wants', () => {
  assert.equal(escapeLabel('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
});

test('textfile: written whole through a temporary file in the same directory, no leftovers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'olc-textfile-'));
  try {
    const path = join(dir, 'offloadctl.prom');
    writeFileSync(path, 'old\n');
    writeTextfileAtomically(path, 'new 1\n');
    assert.equal(readFileSync(path, 'utf8'), 'new 1\n');
    assert.deepEqual(readdirSync(dir), ['offloadctl.prom']);
    assert.throws(() => writeTextfileAtomically(join(dir, 'missing', 'x.prom'), 'x'), /ENOENT/);
    assert.deepEqual(readdirSync(dir), ['offloadctl.prom']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
