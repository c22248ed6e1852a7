import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { cli } from './cli-helper.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/kernel-logs/real-format.log', import.meta.url));

test('doctor --kernel-log FILE --json: offline analysis of a saved log, findings ranked, exit 1', () => {
  const r = cli(['doctor', '--kernel-log', FIXTURE, '--json']);
  assert.equal(r.code, 1, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.counters, null, 'a saved log implies --checks logs');
  assert.equal(rep.log.linesRead, 32);
  const sev = rep.findings.map((f: { severity: string }) => f.severity);
  const order = ['critical', 'error', 'warning', 'info'];
  assert.deepEqual(
    sev,
    [...sev].sort((a: string, b: string) => order.indexOf(a) - order.indexOf(b)),
    'ranked by severity',
  );
  const hang = rep.findings.find((f: { id: string }) => f.id === 'e1000e-hardware-unit-hang');
  assert.deepEqual(hang.interfaces, ['nic0']);
  assert.equal(hang.evidence[0], '[Fri Jul 24 15:23:37 2026] e1000e 0000:00:1f.6 nic0: Detected Hardware Unit Hang:');
  assert.ok(hang.fix.ethtool[0].startsWith('ethtool -K nic0 '));
  assert.ok(hang.fix.measure.startsWith('offloadctl bench'));
});

test('doctor --kernel-log - reads stdin; the human report has the table and details; a clean log exits 0', () => {
  const r = cli(['doctor', '--kernel-log', '-'], { input: 'Nov 25 12:00:00 h kernel: eth0: hw csum failure\n' });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /SEVERITY/);
  assert.match(r.stdout, /hw csum failure: the device's receive checksum did not verify — eth0 \(1×\)/);
  assert.match(r.stdout, /ethtool -K eth0 rx off/);
  const clean = cli(['doctor', '--kernel-log', '-'], { input: '[ 1.0] Linux version 6.18\n' });
  assert.equal(clean.code, 0, clean.stderr);
  assert.match(clean.stdout, /No findings\./);
});

test('doctor usage errors exit 2 with one line on stderr', () => {
  for (const args of [
    ['doctor', '--kernel-log', '/nonexistent/kern.log'],
    ['doctor', '--kernel-log', '-', '--since', 'yesterday'],
    ['doctor', '--checks', 'logs,bogus'],
    ['doctor', '--interval', '-1'],
    ['doctor', '--fail-on', 'bad'],
  ]) {
    const r = cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length <= 2, true, r.stderr);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
  }
});

test('doctor --help shows examples and exit codes', () => {
  const r = cli(['doctor', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Examples:/);
  assert.match(r.stdout, /Exit codes:/);
});
