import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, deleteNetns, ipBatch, ipIn, uniquePrefix } from '../../src/lab/netns.js';
import type { ApplyReport, RestoreReport } from '../../src/apply/types.js';
import { ROOT, cliIn, skipReason, tmpDir } from './helpers/cli.js';
import { diff, isTsoGso, oracleAll } from './helpers/oracle.js';

/**
 * Edge cases against the real kernel: an interface deleted between plan and apply (vanished, not an
 * error, and restore reports it), a fixed feature in the policy (skipped and reported, never sent),
 * and an unknown interface name (exit 2, nothing changed).
 */
const skip = skipReason();
let ns = '';

before(async () => {
  if (skip) return;
  ns = await createNetns(`${uniquePrefix('ape')}a`);
  await ipBatch(ns, [
    'link add br0 type bridge',
    'link add v0 type veth peer name v0p',
    'link add v1 type veth peer name v1p',
    'link set v0 master br0',
    'tuntap add mode tap vnet_hdr name vnet7',
    'link set vnet7 master br0',
    'link set br0 up',
  ]);
});

after(async () => {
  if (ns) await deleteNetns(ns);
});

test('an interface deleted between plan and apply is reported vanished; the rest applies; restore reports it', {
  skip,
}, async () => {
  const state = tmpDir('apply-edge');
  try {
    const before = await oracleAll(ns);
    const child = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(ROOT, 'test/netns/apply-probe.ts'), state.dir],
      {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { ...process.env, OFFLOADCTL_NETNS: ns },
      },
    );
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const planned = JSON.parse((await lines.next()).value as string) as { planned: string[] };
    assert.ok(planned.planned.includes('v1'));
    await ipIn(ns, ['link', 'del', 'v1']); // takes its peer v1p with it: a VM stopped
    child.stdin!.end('go\n');
    const report = JSON.parse((await lines.next()).value as string) as ApplyReport;
    await new Promise((resolve) => child.on('close', resolve));
    assert.equal(report.status, 'applied');
    const by = Object.fromEntries(report.results.map((r) => [r.ifname, r.status]));
    assert.equal(by.v1, 'vanished');
    assert.equal(by.v1p, 'vanished');
    assert.equal(by.v0, 'changed');
    assert.equal(by.br0, 'changed');
    assert.equal(report.counts.failed, 0);

    const rs = await cliIn(ns, ['restore', '--last', '--yes', '--state-dir', state.dir, '--json']);
    assert.equal(rs.code, 0, rs.stderr);
    const rr = JSON.parse(rs.stdout) as RestoreReport;
    assert.deepEqual(
      rr.results
        .filter((r) => r.status === 'vanished')
        .map((r) => r.ifname)
        .sort(),
      ['v1', 'v1p'],
    );
    const now = await oracleAll(ns);
    delete before.v1;
    delete before.v1p;
    assert.deepEqual(diff(before, now), []);
  } finally {
    state.remove();
    await ipIn(ns, ['link', 'add', 'v1', 'type', 'veth', 'peer', 'name', 'v1p']).catch(() => undefined);
  }
});

test('a fixed feature in the policy is skipped and reported, never attempted; the rest applies', { skip }, async () => {
  const state = tmpDir('apply-edge');
  try {
    const before = await oracleAll(ns);
    assert.equal(before.v0!['tx-checksum-ipv4']!.fixed, true, 'a veth has tx-checksum-ipv4 fixed off');
    const policy = join(state.dir, 'policy.yaml');
    writeFileSync(
      policy,
      'name: fixed-test\nextends: tso-gso-off\nrules:\n  - name: want-ipv4-csum\n    select: { kind: [veth] }\n    features: { tx-checksum-ipv4: on }\n',
    );
    const plan = await cliIn(ns, ['plan', '--policy', policy]);
    assert.equal(plan.code, 1, plan.stderr);
    assert.match(plan.stdout, /# v0\s+tx-checksum-ipv4\s+fixed/);
    assert.doesNotMatch(
      plan.stdout
        .split('\n')
        .filter((l) => l.startsWith('ethtool'))
        .join('\n'),
      /tx-checksum-ipv4/,
    );

    const r = await cliIn(ns, ['apply', '--policy', policy, '--yes', '--state-dir', state.dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as ApplyReport;
    assert.equal(report.status, 'applied');
    const fixed = report.skipped.filter((s) => s.reason === 'fixed');
    assert.deepEqual([...new Set(fixed.map((s) => s.feature))], ['tx-checksum-ipv4']);
    assert.ok(fixed.some((s) => s.ifname === 'v0'));
    const now = await oracleAll(ns);
    assert.deepEqual(
      diff(before, now, (_i, f) => !isTsoGso(f)),
      [],
      'nothing but TSO/GSO changed',
    );
    const rs = await cliIn(ns, ['restore', '--last', '--yes', '--state-dir', state.dir]);
    assert.equal(rs.code, 0, rs.stderr);
    assert.deepEqual(diff(before, await oracleAll(ns)), []);
  } finally {
    state.remove();
  }
});

test('an unknown interface name: exit 2 with a message, nothing changed, no snapshot', { skip }, async () => {
  const state = tmpDir('apply-edge');
  try {
    const before = await oracleAll(ns);
    for (const cmd of [['plan'], ['apply', '--yes', '--state-dir', state.dir]]) {
      const r = await cliIn(ns, [...cmd, '--interface', 'nosuch0']);
      assert.equal(r.code, 2, `${cmd[0]}: ${r.stderr}`);
      assert.match(r.stderr, /nosuch0/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    // A glob matching nothing is exit 2 (a typo must not pass), unless --allow-empty (no VM
    // running is fine): then nothing to do.
    const e = await cliIn(ns, ['apply', '--yes', '--interface', 'tap*', '--state-dir', state.dir]);
    assert.equal(e.code, 2, e.stderr);
    const g = await cliIn(ns, ['apply', '--yes', '--interface', 'tap*', '--allow-empty', '--state-dir', state.dir]);
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stdout, /nothing to do/);
    assert.deepEqual(diff(before, await oracleAll(ns)), []);
    const list = await cliIn(ns, ['snapshots', '--state-dir', state.dir]);
    assert.match(list.stdout, /no snapshots/);
    // restore of an unknown snapshot id: exit 2 as well.
    const rs = await cliIn(ns, ['restore', 'nope', '--yes', '--state-dir', state.dir]);
    assert.equal(rs.code, 2);
  } finally {
    state.remove();
  }
});
