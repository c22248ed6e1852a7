import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../../src/lab/netns.js';
import { ROOT, cli, skipReason } from './helpers/cli.js';
import { oracleAll } from './helpers/oracle.js';

/**
 * The broken-policy corpus through the built CLI, in a namespace: every file gives exit 2 and one
 * line `offloadctl: FILE:LINE:COL: message` on stderr, nothing on stdout, and the oracle shows
 * nothing changed (the policy is refused before the kernel is touched). Run through `audit` and
 * through `apply --yes` (the command that would change things; it must not even write a snapshot).
 */
const skip = skipReason();
const DIR = ROOT + 'test/fixtures/policies/bad/';
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
let ns = '';
let stateDir = '';

before(async () => {
  if (skip) return;
  ns = await createNetns(`${uniquePrefix('audbad')}a`);
  stateDir = mkdtempSync(`${tmpdir()}/olc-audbad-`);
  await ipBatch(ns, [
    'link add br0 type bridge',
    'link add v0 type veth peer name v1',
    'link set v0 master br0',
    'tuntap add mode tap vnet_hdr name vnet0',
    'link set vnet0 master br0',
  ]);
});

after(async () => {
  if (ns) await deleteNetns(ns);
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

test('every broken policy file: exit 2, a located one-line message, nothing changed', { skip }, async () => {
  const before = await oracleAll(ns);
  const queue = files.flatMap((f) => [
    { f, args: ['audit', '--policy', DIR + f] },
    { f, args: ['apply', '--yes', '--state-dir', stateDir, '--policy', DIR + f] },
  ]);
  const failures: string[] = [];
  // A few CLI processes at a time: the machine is shared.
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
        const { f, args } = job;
        const m = /^# expect: (\d+):(\d+) /.exec(readFileSync(DIR + f, 'utf8'));
        assert.ok(m, `${f}: expectation header`);
        const r = await cli(['--netns', ns, ...args]);
        const prefix = `offloadctl: ${DIR}${f}:${m[1]}:${m[2]}: `;
        if (r.code !== 2 || !r.stderr.startsWith(prefix) || r.stderr.split('\n').length !== 2 || r.stdout !== '') {
          failures.push(
            `${args[0]} ${f}: exit ${r.code}, stderr ${JSON.stringify(r.stderr)}, stdout ${JSON.stringify(r.stdout.slice(0, 80))}`,
          );
        }
      }
    }),
  );
  assert.deepEqual(failures, []);
  assert.deepEqual(await oracleAll(ns), before, 'the oracle shows nothing changed');
  assert.deepEqual(readdirSync(stateDir, { recursive: true }), [], 'apply wrote no snapshot or journal');
});

test('a good policy file goes through: exit 1 on defaults (it is a real audit)', { skip }, async () => {
  const r = await cli(['--netns', ns, 'audit', '--policy', ROOT + 'test/fixtures/policies/good/readme-example.yaml']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^NOT compliant: policy my-host \(.*readme-example\.yaml\)/);
  const missing = await cli(['--netns', ns, 'audit', '--policy', '/nonexistent/policy.yaml']);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, 'offloadctl: cannot read policy file /nonexistent/policy.yaml: no such file\n');
});
