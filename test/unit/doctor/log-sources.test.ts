import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { openLogSource } from '../../../src/doctor/log-sources.js';

const hasJournalctl = spawnSync('journalctl', ['--version']).status === 0;

test('journalctl source: streams `journalctl -k` output (possibly empty) without error', {
  skip: hasJournalctl ? false : 'journalctl not installed',
}, async () => {
  const src = await openLogSource({ live: 'journal', sinceMs: Date.now() - 60_000 });
  assert.equal(src.source, 'journalctl -k');
  let n = 0;
  for await (const _ of src.lines) n++;
  assert.ok(n >= 0);
});

test('/dev/kmsg source: reads the ring non-blocking and stops at its end', {
  skip: process.getuid?.() === 0 ? false : 'needs root (dmesg_restrict)',
}, async () => {
  const src = await openLogSource({ live: 'kmsg' });
  assert.equal(src.source, '/dev/kmsg');
  assert.ok(src.bootMs !== null && src.bootMs < Date.now());
  let n = 0;
  for await (const l of src.lines) {
    if (n++ === 0) assert.match(l, /^\d+,\d+,\d+,[^;]*;/);
  }
  assert.ok(n > 0);
});

test('a missing --kernel-log file is a usage error', async () => {
  await assert.rejects(
    openLogSource({ kernelLog: '/nonexistent/kern.log' }),
    (e: Error & { exitCode?: number }) => e.exitCode === 2,
  );
});
