import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../../src/lab/netns.js';
import type { AuditReport } from '../../src/audit/audit.js';
import type { ApplyReport } from '../../src/apply/types.js';
import { cli, skipReason, tmpDir } from './helpers/cli.js';
import { oracleAll, oracleLinks, type State } from './helpers/oracle.js';

/**
 * "Held by the guest": a tap whose VM has not negotiated TSO/checksumming (QEMU's TUNSETOFFLOAD,
 * drivers/net/tun.c set_offload / tun_net_fix_features) keeps them off whatever is requested.
 * `apply --profile offloads-on` then `audit --profile offloads-on` must agree: both exit 0, and
 * what they call held by the guest is exactly what the oracle (`ethtool --json -k`, `ip -json -d
 * link`) shows as requested on / active off on the namespace's taps. --strict counts them.
 */
const skip = skipReason();
let ns = '';
const state = tmpDir('held');

before(async () => {
  if (skip) return;
  ns = await createNetns(`${uniquePrefix('held')}hv`);
  await ipBatch(ns, [
    'link add br0 type bridge',
    'link add uplink0 type veth peer name peer0',
    'link set uplink0 master br0',
    ...[0, 1, 2].flatMap((i) => [`tuntap add mode tap vnet_hdr name vnet${i}`, `link set vnet${i} master br0`]),
    'tuntap add mode tap vnet_hdr name tap100i0',
    'link set tap100i0 master br0',
    'tuntap add mode tap name tapnohdr0',
    'link set br0 up',
    'link set uplink0 up',
  ]);
});

after(async () => {
  if (ns) await deleteNetns(ns);
  state.remove();
});

/** The kernel features offloads-on names (tso gso sg gro tx rx), by ethtool's short-name table (common.c off_flag_def). */
const OFFLOADS_ON = (f: string) =>
  /^tx-tcp.*-segmentation$/.test(f) ||
  /^tx-checksum-/.test(f) ||
  /^tx-scatter-gather/.test(f) ||
  ['tx-generic-segmentation', 'rx-gro', 'rx-checksum'].includes(f);

/** Oracle: per tap (ip -d link: tun), the offloads-on features requested on and active off. */
async function tapHeld(): Promise<Map<string, string[]>> {
  const links = await oracleLinks(ns);
  const taps = new Set(links.filter((l) => l.linkinfo?.info_kind === 'tun').map((l) => l.ifname));
  const all: State = await oracleAll(ns);
  const out = new Map<string, string[]>();
  for (const [ifname, fs] of Object.entries(all)) {
    if (!taps.has(ifname)) continue;
    const held = Object.entries(fs)
      .filter(([f, s]) => OFFLOADS_ON(f) && s.requested === true && s.active === false && s.fixed === false)
      .map(([f]) => f)
      .sort();
    if (held.length) out.set(ifname, held);
  }
  return out;
}

test("apply --profile offloads-on, then audit: both exit 0; held-by-the-guest is the oracle's requested-on/active-off tap bits", {
  skip,
}, async () => {
  const a = await cli([
    '--netns',
    ns,
    'apply',
    '--yes',
    '--json',
    '--profile',
    'offloads-on',
    '--state-dir',
    state.dir,
  ]);
  assert.equal(a.code, 0, a.stderr);
  const report = JSON.parse(a.stdout) as ApplyReport;
  assert.equal(report.counts.failed, 0);

  const oracle = await tapHeld();
  assert.ok(oracle.size >= 4, `the taps hold TSO off (no guest negotiated it): ${[...oracle.keys()]}`);
  for (const feats of oracle.values()) assert.ok(feats.includes('tx-tcp-segmentation'), feats.join(','));

  const applied = new Map((report.heldByGuest ?? []).map((h) => [h.ifname, h.features]));
  const au = await cli(['--netns', ns, 'audit', '--json', '--profile', 'offloads-on']);
  assert.equal(au.code, 0, `audit after apply: ${au.stdout.slice(0, 2000)}${au.stderr}`);
  const audit = JSON.parse(au.stdout) as AuditReport;
  const audited = new Map<string, string[]>();
  for (const f of audit.held.filter((h) => h.heldBy === 'guest'))
    audited.set(f.ifname, [...(audited.get(f.ifname) ?? []), f.feature].sort());

  assert.deepEqual(new Map([...audited].sort()), new Map([...oracle].sort()), 'audit: held by the guest = oracle');
  assert.deepEqual(
    new Map([...applied].sort()),
    new Map([...oracle].sort()),
    'apply report: held by the guest = oracle',
  );
  assert.equal(audit.findings.filter((f) => !f.fixed).length, 0, 'no changeable deviation left');

  const strict = await cli(['--netns', ns, 'audit', '--json', '--strict', '--profile', 'offloads-on']);
  assert.equal(strict.code, 1, '--strict counts features held by the guest');
});

test('what only the policy holds (SG off, TSO wanted on) on a tap stays a counted deviation', { skip }, async () => {
  const policy = `${state.dir}/sg-off.yaml`;
  const { writeFileSync } = await import('node:fs');
  writeFileSync(
    policy,
    'name: sg-off-tso-on\nrules:\n  - select: { name: [vnet0] }\n    features: { sg: off, tso: on }\n',
  );
  const a = await cli(['--netns', ns, 'apply', '--yes', '--policy', policy, '--state-dir', state.dir]);
  assert.equal(a.code, 0, a.stderr);
  const all = await oracleAll(ns);
  assert.equal(all.vnet0!['tx-scatter-gather']!.active, false);
  assert.equal(all.vnet0!['tx-tcp-segmentation']!.active, false);
  const au = await cli(['--netns', ns, 'audit', '--json', '--policy', policy]);
  assert.equal(au.code, 1, "TSO held off by the policy's own SG off is not the guest's");
  const audit = JSON.parse(au.stdout) as AuditReport;
  assert.ok(audit.findings.some((f) => f.ifname === 'vnet0' && f.feature === 'tx-tcp-segmentation'));
  assert.ok(!audit.held.some((f) => f.ifname === 'vnet0' && f.feature === 'tx-tcp-segmentation'));
});
