import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp } from '../../src/lab/lab.js';
import { cli, feature, haveDist, isRoot, labName, oracle } from './bench-oracle.js';

/**
 * apply --guard: a policy that regresses throughput (tso-gso-off on the lab's veth+bridge path costs
 * several times the TCP throughput) is measured, found worse than the threshold, and rolled back by
 * the apply pipeline's restore — the oracle shows the state from before apply.
 */

const skip = !isRoot ? 'needs root (network namespaces)' : !haveDist ? 'needs `npm run build`' : false;
const labDir = mkdtempSync(join(tmpdir(), 'olc-guard-lab-'));
const stateDir = mkdtempSync(join(tmpdir(), 'olc-guard-state-'));
const env = { OFFLOADCTL_LAB_DIR: labDir };
const name = labName('gt');
const hv = `olab-${name}-hv`;

before(async () => {
  if (skip) return;
  process.env.OFFLOADCTL_LAB_DIR = labDir;
  await labUp(name, 4);
});

after(async () => {
  // In-process, so cleanup does not depend on dist/ being loadable at that moment.
  if (!skip) await labDown(name);
  rmSync(labDir, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
});

const guardArgs = ['--guard', '--guard-lab', name, '--guard-duration', '1', '--guard-repeat', '2', '--state-dir', stateDir];

test('apply --guard rolls back tso-gso-off when TCP throughput drops beyond 10%', { skip }, async () => {
  const beforeState = await oracle(hv);
  const r = await cli(['--netns', hv, 'apply', '--profile', 'tso-gso-off', '--yes', '--json', ...guardArgs], env);
  assert.equal(r.code, 1, r.stderr);
  const rep = JSON.parse(r.stdout) as { status: string; snapshot: string; guard: { regressed: boolean; rolledBack: boolean; rollbackOk: boolean; change: number } };
  assert.equal(rep.status, 'applied');
  assert.equal(rep.guard.regressed, true);
  assert.ok(rep.guard.change < -0.1, `change ${rep.guard.change}`);
  assert.equal(rep.guard.rolledBack, true);
  assert.equal(rep.guard.rollbackOk, true);
  const now = await oracle(hv);
  assert.deepEqual(now, beforeState);
  assert.equal(feature(now, 'vif2.0', 'tx-tcp-segmentation').active, true);
  // The snapshot is marked restored in the apply pipeline's own journal.
  const s = await cli(['--netns', hv, 'snapshots', '--json', '--state-dir', stateDir], env);
  assert.match(s.stdout, /"restored"/);
});

test('apply --guard keeps a change within the threshold; with nothing to change there is nothing to judge', { skip }, async () => {
  // offloads-on from the lab's defaults changes a few bits without slowing TCP; 90% leaves room for
  // the noise of a shared machine (this checks the keep path, not a figure).
  const r = await cli(['--netns', hv, 'apply', '--profile', 'offloads-on', '--yes', '--json', ...guardArgs, '--guard-threshold', '90%'], env);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as { snapshot: string | null; guard: { rolledBack: boolean; regressed: boolean } };
  assert.equal(rep.guard.rolledBack, false);
  assert.equal(rep.guard.regressed, false);
  const again = await cli(['--netns', hv, 'apply', '--profile', 'offloads-on', '--yes', ...guardArgs], env);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /guard: nothing was changed, nothing to check/);
  if (rep.snapshot) await cli(['--netns', hv, 'restore', rep.snapshot, '--yes', '--state-dir', stateDir], env);
});

test('apply --guard without a place to measure is a usage error and changes nothing', { skip }, async () => {
  const beforeState = await oracle(hv);
  const r = await cli(['--netns', hv, 'apply', '--profile', 'tso-gso-off', '--yes', '--guard', '--state-dir', stateDir], env);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--guard-server HOST or --guard-lab NAME/);
  assert.deepEqual(await oracle(hv), beforeState);
});
