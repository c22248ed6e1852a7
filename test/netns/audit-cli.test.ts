import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createNetns, deleteNetns, ipBatch, nsRunOk, uniquePrefix } from '../../src/lab/netns.js';
import type { AuditReport } from '../../src/audit/audit.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { cli, skipReason } from './helpers/cli.js';
import { isTsoGso, oracleAll, oracleFeatures, oracleLinks } from './helpers/oracle.js';

/**
 * `offloadctl --netns NS audit` against a small KVM-like host built in a namespace: a bridge with
 * a veth "uplink", taps with and without vnet_hdr, an OpenStack-style name, a Xen-style name with
 * dots and dashes, and a veth outside any bridge. Oracle: `ethtool --json -k`, `ip -json -d link`.
 */
const skip = skipReason();
let ns = '';
let guest = '';
const BACKENDS = ['netlink', 'ethtool'] as const;

const TOPOLOGY = [
  'link add br0 type bridge',
  'link add uplink0 type veth peer name peer0',
  'link set uplink0 master br0',
  'tuntap add mode tap vnet_hdr name tap100i0',
  'link set tap100i0 master br0',
  'tuntap add mode tap name tap1234abcd-12',
  'link set tap1234abcd-12 master br0',
  'link add vif3.0 type veth peer name vif3.0-emu',
  'link set vif3.0 master br0',
  'link set br0 up',
  'link set uplink0 up',
  'link set vif3.0 up',
];

before(async () => {
  if (skip) return;
  const prefix = uniquePrefix('aud');
  ns = await createNetns(`${prefix}hv`);
  guest = await createNetns(`${prefix}g`);
  await ipBatch(ns, TOPOLOGY);
  // The uplink's far end lives in another namespace, as a real uplink's wire would.
  await nsRunOk(ns, ['ip', 'link', 'set', 'peer0', 'netns', guest]);
});

after(async () => {
  if (ns) await deleteNetns(ns);
  if (guest) await deleteNetns(guest);
});

async function auditJson(
  args: string[],
  backend = 'auto',
): Promise<{ code: number; report: AuditReport; stderr: string }> {
  const r = await cli(['--netns', ns, '--backend', backend, 'audit', '--json', ...args]);
  return { code: r.code, report: JSON.parse(r.stdout || 'null') as AuditReport, stderr: r.stderr };
}

/** ethtool -K on every non-loopback interface, ports before the bridge (br_features_recompute). */
async function ethtoolOffAll(): Promise<void> {
  const links = await oracleLinks(ns);
  const ordered = [
    ...links.filter((l) => l.linkinfo?.info_kind !== 'bridge'),
    ...links.filter((l) => l.linkinfo?.info_kind === 'bridge'),
  ];
  for (const l of ordered) {
    if (l.ifname === 'lo') continue;
    await nsRunOk(ns, ['ethtool', '-K', l.ifname, 'tso', 'off', 'gso', 'off']);
  }
}

test("defaults: audit exits 1 and its findings are exactly the oracle's active TSO/GSO bits", { skip }, async () => {
  const oracle = await oracleAll(ns);
  const expected = Object.entries(oracle)
    .filter(([ifname]) => ifname !== 'lo')
    .flatMap(([ifname, fs]) =>
      Object.entries(fs)
        .filter(([f, s]) => isTsoGso(f) && s.active)
        .map(([f]) => `${ifname} ${f}`),
    )
    .sort();
  assert.ok(expected.length > 10, 'the namespace starts with TSO/GSO on');
  for (const backend of BACKENDS) {
    const { code, report } = await auditJson([], backend);
    assert.equal(code, 1, backend);
    assert.equal(report.compliant, false);
    assert.equal(report.backend, backend);
    assert.deepEqual(report.findings.map((f) => `${f.ifname} ${f.feature}`).sort(), expected, backend);
    for (const f of report.findings) {
      const o = oracle[f.ifname]![f.feature]!;
      assert.deepEqual(
        { active: f.actual, requested: f.requested, fixed: f.fixed },
        o,
        `${backend} ${f.ifname} ${f.feature}`,
      );
    }
    assert.ok(!report.interfaces.some((i) => i.ifname === 'lo'), 'loopback is not audited');
    assert.ok(
      report.interfaces.some((i) => i.ifname === 'br0' && !i.compliant),
      'the bridge is included',
    );
  }
  const human = await cli(['--netns', ns, 'audit']);
  assert.equal(human.code, 1);
  assert.match(human.stdout, /^NOT compliant: policy tso-gso-off \(built-in\): /);
  assert.match(human.stdout, /\nbr0 +bridge +- +tso +off +on +yes +tso-gso-off /);
});

test('--interface limits the audit; an unknown interface or profile is exit 2 with one line', { skip }, async () => {
  const { code, report } = await auditJson(['--interface', 'tap*', '--interface', 'vif3.0']);
  assert.equal(code, 1);
  assert.deepEqual([...new Set(report.interfaces.map((i) => i.ifname))].sort(), [
    'tap100i0',
    'tap1234abcd-12',
    'vif3.0',
  ]);
  const missing = await cli(['--netns', ns, 'audit', '--interface', 'nosuch0']);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, 'offloadctl: no interface named "nosuch0"\n');
  const profile = await cli(['--netns', ns, 'audit', '--profile', 'tso-off']);
  assert.equal(profile.code, 2);
  assert.match(
    profile.stderr,
    /^offloadctl: unknown profile "tso-off" \(built-in profiles: tso-gso-off, tso-gso-sg-off, offloads-on\)/,
  );
  assert.equal(profile.stderr.split('\n').length, 2, 'one line, no stack trace');
  const both = await cli(['--netns', ns, 'audit', '--profile', 'tso-gso-off', '--policy', '/dev/null']);
  assert.equal(both.code, 2);
});

test('after ethtool -K tso off gso off on every interface: the oracle agrees and audit exits 0', { skip }, async () => {
  await ethtoolOffAll();
  const oracle = await oracleAll(ns);
  for (const [ifname, fs] of Object.entries(oracle)) {
    if (ifname === 'lo') continue;
    for (const [f, s] of Object.entries(fs))
      if (isTsoGso(f) && !s.fixed) assert.equal(s.active, false, `${ifname} ${f}`);
  }
  for (const backend of BACKENDS) {
    const { code, report } = await auditJson([], backend);
    assert.equal(code, 0, `${backend}: ${JSON.stringify(report.findings)}`);
    assert.equal(report.compliant, true);
    assert.deepEqual(report.findings, []);
  }
  const human = await cli(['--netns', ns, 'audit']);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /^compliant: policy tso-gso-off \(built-in\): all \d+ audited interfaces comply/);
  // The other direction: offloads-on now deviates.
  assert.equal((await cli(['--netns', ns, 'audit', '--profile', 'offloads-on'])).code, 1);
});

test('a bridge port whose MTU differs from the bridge: exit 1, MTU finding as ip -d link shows it', {
  skip,
}, async () => {
  await nsRunOk(ns, ['ip', 'link', 'set', 'vif3.0', 'mtu', '9000']);
  try {
    const links = await oracleLinks(ns);
    const br = links.find((l) => l.ifname === 'br0')!;
    const port = links.find((l) => l.ifname === 'vif3.0')!;
    assert.notEqual(br.mtu, port.mtu);
    const { code, report } = await auditJson([]);
    assert.equal(code, 1);
    assert.deepEqual(report.findings, [], 'offloads are still compliant');
    assert.deepEqual(
      report.mtuMismatches.map((m) => [m.ifname, m.bridge, m.mtu, m.bridgeMtu]),
      [['vif3.0', 'br0', port.mtu, br.mtu]],
    );
    const human = await cli(['--netns', ns, 'audit']);
    assert.match(
      human.stdout,
      /Bridge ports whose MTU differs from their bridge:\nPORT +ROLE +BRIDGE +PORT MTU +BRIDGE MTU\nvif3\.0 /,
    );
  } finally {
    await nsRunOk(ns, ['ip', 'link', 'set', 'vif3.0', 'mtu', '1500']);
  }
});

test('profiles: table, --json, and NAME as YAML; unknown NAME exit 2', { skip }, async () => {
  const table = await cli(['profiles']);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /^PROFILE +DEFAULT +DESCRIPTION\ntso-gso-off +yes +The common advice/);
  const json = JSON.parse((await cli(['profiles', '--json'])).stdout) as {
    profiles: { name: string; default: boolean }[];
  };
  assert.deepEqual(
    json.profiles.map((p) => [p.name, p.default]),
    [
      ['tso-gso-off', true],
      ['tso-gso-sg-off', false],
      ['offloads-on', false],
    ],
  );
  const yaml = await cli(['profiles', 'tso-gso-sg-off']);
  assert.match(yaml.stdout, /^name: tso-gso-sg-off\n/);
  assert.equal((await cli(['profiles', 'nope'])).code, 2);
});

test('a policy file wanting a fixed feature (LRO on veths): unchangeable, exit 0; --strict exit 1', {
  skip,
}, async () => {
  const lro = await oracleFeatures(ns, 'vif3.0');
  assert.deepEqual(
    lro['rx-lro'],
    { active: false, requested: false, fixed: true },
    'oracle: LRO is fixed off on a veth',
  );
  const dir = mkdtempSync(`${tmpdir()}/olc-audfixed-`);
  try {
    const file = `${dir}/lro.yaml`;
    writeFileSync(file, 'name: lro\nrules:\n  - select: { kind: [veth] }\n    features: { lro: on }\n');
    const { code, report } = await auditJson(['--policy', file]);
    assert.equal(code, 0, JSON.stringify(report.summary));
    assert.ok(
      report.findings.length > 0 && report.findings.every((f) => f.feature === 'rx-lro' && f.fixed && !f.actual),
    );
    assert.equal(report.summary.unchangeable, report.findings.length);
    assert.ok(report.findings.some((f) => f.ifname === 'vif3.0'));
    const strict = await cli(['--netns', ns, 'audit', '--policy', file, '--strict']);
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /\nvif3\.0 +vm-port +\S+ +lro +on +off +no \(fixed\) +rule 1 +rx-lro\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
