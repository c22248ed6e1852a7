import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_TIMEOUT_MS, benchLab } from './bench-helpers.js';
import { cli, haveCli, isRoot } from './helpers/cli.js';
import { oracleAll } from './helpers/oracle.js';

/**
 * apply --guard: a policy that regresses throughput (tso-gso-off on the lab's veth+bridge path costs
 * several times the TCP throughput) is measured, found worse than the threshold, and rolled back by
 * the apply pipeline's restore — the oracle shows the state from before apply.
 */

const skip = !isRoot ? 'needs root (network namespaces)' : !haveCli() ? 'needs `npm run build`' : false;
const stateDir = mkdtempSync(join(tmpdir(), 'olc-guard-state-'));
const { name, hv, env } = benchLab('gt', skip, 4, [stateDir]);
const opts = { env, timeoutMs: BENCH_TIMEOUT_MS };

const guardArgs = [
  '--guard',
  '--guard-lab',
  name,
  '--guard-duration',
  '1',
  '--guard-repeat',
  '2',
  '--state-dir',
  stateDir,
];

test('apply --guard rolls back tso-gso-off when TCP throughput drops beyond 10%', { skip }, async () => {
  const beforeState = await oracleAll(hv);
  const r = await cli(['--netns', hv, 'apply', '--profile', 'tso-gso-off', '--yes', '--json', ...guardArgs], opts);
  assert.equal(r.code, 1, r.stderr);
  const rep = JSON.parse(r.stdout) as {
    status: string;
    snapshot: string;
    guard: { regressed: boolean; rolledBack: boolean; rollbackOk: boolean; change: number };
  };
  assert.equal(rep.status, 'applied');
  assert.equal(rep.guard.regressed, true);
  assert.ok(rep.guard.change < -0.1, `change ${rep.guard.change}`);
  assert.equal(rep.guard.rolledBack, true);
  assert.equal(rep.guard.rollbackOk, true);
  const now = await oracleAll(hv);
  assert.deepEqual(now, beforeState);
  assert.equal(now['vif2.0']!['tx-tcp-segmentation']!.active, true);
  // The snapshot is marked restored in the apply pipeline's own journal.
  const s = await cli(['--netns', hv, 'snapshots', '--json', '--state-dir', stateDir], opts);
  assert.match(s.stdout, /"restored"/);
});

test('apply --guard keeps a change within the threshold; with nothing to change there is nothing to judge', {
  skip,
}, async () => {
  // offloads-on from the lab's defaults changes a few bits without slowing TCP; 90% leaves room for
  // the noise of a shared machine (this checks the keep path, not a figure).
  const r = await cli(
    ['--netns', hv, 'apply', '--profile', 'offloads-on', '--yes', '--json', ...guardArgs, '--guard-threshold', '90%'],
    opts,
  );
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as { snapshot: string | null; guard: { rolledBack: boolean; regressed: boolean } };
  assert.equal(rep.guard.rolledBack, false);
  assert.equal(rep.guard.regressed, false);
  const again = await cli(['--netns', hv, 'apply', '--profile', 'offloads-on', '--yes', ...guardArgs], opts);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /guard: nothing was changed, nothing to check/);
  if (rep.snapshot) await cli(['--netns', hv, 'restore', rep.snapshot, '--yes', '--state-dir', stateDir], opts);
});

test('apply --guard without a place to measure is a usage error and changes nothing', { skip }, async () => {
  const beforeState = await oracleAll(hv);
  const r = await cli(
    ['--netns', hv, 'apply', '--profile', 'tso-gso-off', '--yes', '--guard', '--state-dir', stateDir],
    opts,
  );
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--guard-server HOST or --guard-lab NAME/);
  assert.deepEqual(await oracleAll(hv), beforeState);
});
