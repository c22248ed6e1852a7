/**
 * The patched `netlink` addon (scripts/build-netlink-addon.sh, patches/netlink-0.3.0-pollerr.patch)
 * survives a netlink overrun: the socket reports ENOBUFS and goes on delivering. The kernel's own
 * drop counter (/proc/net/netlink) is the oracle that an overrun really happened. (The prebuilt
 * addon aborts the process here, which is why this only runs with the patched build.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { addonSurvivesOverrun } from '../../src/kernel/netlink/addon.js';
import { createNetns, deleteNetns, uniquePrefix } from '../../src/lab/netns.js';

const root = process.getuid?.() === 0;
const skip = !root
  ? 'needs root (network namespaces)'
  : !addonSurvivesOverrun()
    ? 'the netlink addon is not the patched build (scripts/build-netlink-addon.sh)'
    : false;
const PROBE = fileURLToPath(new URL('./overrun-probe.ts', import.meta.url));

test('patched netlink addon: an overrun is reported as ENOBUFS and the socket keeps delivering', { skip }, async () => {
  const ns = await createNetns(`${uniquePrefix('nlovr')}a`);
  try {
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', PROBE, '200'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, `the probe process ended normally (signal ${r.signal}; stderr: ${r.stderr.slice(-300)})`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      errors: string[];
      sawAfter: boolean;
      messages: number;
      kernelDrops: number | null;
    };
    assert.ok(
      out.kernelDrops !== null && out.kernelDrops > 0,
      `the kernel dropped messages for the socket (Drops ${out.kernelDrops})`,
    );
    assert.ok(out.errors.includes('ENOBUFS'), `ENOBUFS reported (errors: ${out.errors.join(',')})`);
    assert.ok(out.sawAfter, 'an RTM_NEWLINK after the overrun still arrives');
  } finally {
    await deleteNetns(ns);
  }
});
