import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../../src/lab/netns.js';
import { cli, skipReason, tmpDir } from './helpers/cli.js';
import { oracleAll } from './helpers/oracle.js';

/**
 * `--interface` globs that match nothing (a typo, 'zz*') must not pass as "compliant (0 observed)":
 * audit, plan and apply exit 2 with a message, unless --allow-empty. Oracle: `ethtool --json -k`
 * (nothing changed), the exit status.
 */
const skip = skipReason();
let ns = '';
const state = tmpDir('empty');

before(async () => {
  if (skip) return;
  ns = await createNetns(`${uniquePrefix('emp')}hv`);
  await ipBatch(ns, [
    'link add br0 type bridge',
    'tuntap add mode tap vnet_hdr name vnet0',
    'link set vnet0 master br0',
    'link set br0 up',
  ]);
});

after(async () => {
  if (ns) await deleteNetns(ns);
  state.remove();
});

test('audit/plan/apply --interface matching nothing: exit 2 with one message, nothing changed', { skip }, async () => {
  const before = await oracleAll(ns);
  for (const cmd of [['audit'], ['plan'], ['apply', '--yes', '--state-dir', state.dir]]) {
    const r = await cli(['--netns', ns, ...cmd, '--interface', 'zz*']);
    assert.equal(r.code, 2, `${cmd[0]}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /--interface "zz\*" matches none of the \d+ interfaces/, cmd[0]);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${cmd[0]}: one line: ${r.stderr}`);
  }
  assert.deepEqual(await oracleAll(ns), before);
});

test('--allow-empty: an empty selection is accepted (exit 0) and changes nothing', { skip }, async () => {
  const before = await oracleAll(ns);
  for (const cmd of [['audit'], ['plan'], ['apply', '--yes', '--state-dir', state.dir]]) {
    const r = await cli(['--netns', ns, ...cmd, '--interface', 'zz*', '--allow-empty']);
    assert.equal(r.code, 0, `${cmd[0]}: ${r.stdout}${r.stderr}`);
  }
  assert.deepEqual(await oracleAll(ns), before);
});

test('a glob that matches: audit still reports the deviation (exit 1)', { skip }, async () => {
  const r = await cli(['--netns', ns, 'audit', '--interface', 'vnet*', '--interface', 'zz*']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
});
