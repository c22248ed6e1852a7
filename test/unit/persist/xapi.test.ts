import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildObservation } from '../../../src/host/observe.js';
import { findProfile } from '../../../src/policy/index.js';
import { selectedInterfaces } from '../../../src/persist/inputs.js';
import { fsRoot } from '../../../src/persist/root.js';
import { PIF_KEYS, VIF_KEYS, renderXapi, xapiPlan } from '../../../src/persist/render/xapi.js';
import { applyXapi, checkXapi } from '../../../src/persist/xapi.js';
import { feats } from '../host/helpers.js';
import { XCPNG_LINKS, fixtureTopology } from '../ovs/fixtures.js';

/** The fake xe (records calls; not XAPI): test/fakes/xe. */
const FAKE_XE = fileURLToPath(new URL('../../fakes/xe', import.meta.url));

const NIC = feats({
  'tx-tcp-segmentation': 'on',
  'tx-tcp6-segmentation': 'on',
  'tx-tcp-ecn-segmentation': 'on',
  'tx-tcp-mangleid-segmentation': 'off',
  'tx-generic-segmentation': 'on',
  'tx-scatter-gather': 'on',
  'rx-gro': 'on',
  'tx-checksum-ip-generic': 'on',
});

/** XAPI's documented ethtool-* keys (xen-api docs, Networking: "ethtool settings"); gro/lro are PIF-only (xcp-networkd). */
const DOCUMENTED_VIF = ['rx', 'tx', 'sg', 'tso', 'ufo', 'gso'];

function setup(root: string) {
  const obs = buildObservation({
    links: XCPNG_LINKS,
    features: new Map(XCPNG_LINKS.map((l) => [l.ifindex, NIC])),
    backend: 'fake',
    ovs: fixtureTopology('xcp-ng'),
  });
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(
    join(root, 'etc/xensource-inventory'),
    "PRIMARY_DISK='/dev/sda'\nINSTALLATION_UUID='5a7e0b8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c'\n",
  );
  const policy = findProfile('tso-gso-sg-off')!;
  const interfaces = selectedInterfaces(policy, obs, XCPNG_LINKS);
  return { interfaces, root: fsRoot(root) };
}

test('xapi: VIF keys from xs-vif-uuid (one per VIF, vif and emulated tap together), PIF keys by device; only documented keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xapi-'));
  try {
    assert.deepEqual([...VIF_KEYS], DOCUMENTED_VIF);
    const input = setup(dir);
    const plan = xapiPlan(input);
    assert.equal(plan.hostUuid, '5a7e0b8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c');
    const vifs = plan.settings.filter((s) => s.object === 'vif');
    assert.deepEqual(
      vifs.map((s) => [s.uuid, s.ifnames]),
      [
        ['a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', ['vif3.0', 'tap3.0']],
        ['b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e', ['vif3.1']],
      ],
    );
    assert.deepEqual(vifs[0]!.keys, [
      ['sg', 'off'],
      ['tso', 'off'],
      ['gso', 'off'],
    ]);
    const pifs = plan.settings.filter((s) => s.object === 'pif');
    assert.deepEqual(
      pifs.map((s) => s.device),
      ['eth0', 'eth1', 'eth2'],
    );
    for (const s of plan.settings)
      for (const [k] of s.keys) assert.ok((s.object === 'vif' ? DOCUMENTED_VIF : [...PIF_KEYS]).includes(k), k);
    // Bridges are not XAPI objects with ethtool keys: named, not silently dropped.
    assert.ok(
      plan.notes.some((n) => n.startsWith('xenbr0 (bridge)')),
      plan.notes.join('\n'),
    );

    const r = renderXapi({
      ...input,
      vmSchemes: [],
      options: { policyName: 'p', offloadctlPath: '', policyPath: '', noOffloadctlOnBootPath: true, ethtoolPath: '' },
    });
    assert.equal(r.files.length, 0);
    assert.ok(
      r.commands.includes(
        'xe vif-param-set uuid=a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d other-config:ethtool-sg=off other-config:ethtool-tso=off other-config:ethtool-gso=off',
      ),
      r.commands.join('\n'),
    );
    assert.ok(
      r.commands.some((c) =>
        c.startsWith(
          'xe pif-param-set uuid=$(xe pif-list device=eth0 host-uuid=5a7e0b8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c --minimal) other-config:ethtool-sg=off',
        ),
      ),
      r.commands.join('\n'),
    );
    assert.deepEqual(r.coverage.find((c) => c.match === 'vif3.0')?.when, 'vm-start');
    assert.deepEqual(r.coverage.find((c) => c.match === 'eth0')?.when, 'boot');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('xapi --apply runs xe with argv arrays; --check reads other-config back (fake xe that records calls)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xapi-'));
  const log = join(dir, 'xe.log');
  const saved = { ...process.env };
  try {
    process.env.FAKE_XE_LOG = log;
    process.env.FAKE_XE_STATE = join(dir, 'xe.json');
    process.env.FAKE_XE_PIFS =
      'eth0=11111111-0000-4000-8000-000000000000,eth1=22222222-0000-4000-8000-000000000000,eth2=33333333-0000-4000-8000-000000000000';
    const plan = xapiPlan(setup(dir));
    const before = await checkXapi(plan, FAKE_XE);
    assert.ok(
      before.every((s) => !s.ok && s.gaps!.length === 3),
      'nothing set yet: every key is a gap',
    );
    writeFileSync(log, '');
    const applied = await applyXapi(plan, FAKE_XE);
    assert.ok(
      applied.every((s) => s.ok),
      JSON.stringify(applied),
    );
    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    const at = (c: string) => calls.findIndex((x) => x[0] === c);
    assert.deepEqual(calls[at('vif-param-set')], [
      'vif-param-set',
      'uuid=a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
      'other-config:ethtool-sg=off',
      'other-config:ethtool-tso=off',
      'other-config:ethtool-gso=off',
    ]);
    assert.deepEqual(calls[at('pif-list')], [
      'pif-list',
      'device=eth0',
      'host-uuid=5a7e0b8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c',
      '--minimal',
    ]);
    assert.deepEqual(calls[at('pif-list') + 1]!.slice(0, 2), [
      'pif-param-set',
      'uuid=11111111-0000-4000-8000-000000000000',
    ]);
    assert.equal(calls.length, 2 + 3 * 2, 'one set per VIF, one lookup and one set per PIF');
    const after = await checkXapi(plan, FAKE_XE);
    assert.ok(
      after.every((s) => s.ok),
      JSON.stringify(after),
    );
    assert.deepEqual(after.find((s) => s.object === 'vif')!.argv[0], [
      FAKE_XE,
      'vif-param-get',
      'uuid=a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
      'param-name=other-config',
      'param-key=ethtool-sg',
    ]);
  } finally {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('persist --target auto on an XCP-ng root points at the xapi target', async () => {
  const { renderTargets } = await import('../../../src/persist/persist.js');
  const dir = mkdtempSync(join(tmpdir(), 'xapi-'));
  try {
    setup(dir);
    const observation = buildObservation({
      links: XCPNG_LINKS,
      features: new Map(XCPNG_LINKS.map((l) => [l.ifindex, NIC])),
      backend: 'fake',
      ovs: fixtureTopology('xcp-ng'),
    });
    const o = renderTargets(
      {
        policy: findProfile('tso-gso-off')!,
        observation,
        links: XCPNG_LINKS,
        root: dir,
        options: {
          policyName: 'p',
          offloadctlPath: '/usr/bin/offloadctl',
          policyPath: '/etc/offloadctl/policy.yaml',
          noOffloadctlOnBootPath: false,
          ethtoolPath: '/sbin/ethtool',
        },
      },
      'auto',
    );
    assert.ok(
      o.notes.some((n) => n.includes('persist --target xapi')),
      o.notes.join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
