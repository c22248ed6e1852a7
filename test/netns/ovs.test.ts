/**
 * offloadctl on a real Open vSwitch (userspace datapath, in a namespace this test made): status,
 * audit, apply and restore. Oracles: `ovs-vsctl --format=json` (bridges, ports, external_ids) and
 * `ethtool --json -k` (features); never offloadctl's own output.
 * Needs root, the built CLI and openvswitch-switch (scripts/test-deps.d/ovs.list).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, deleteNetns, ipIn, nsRunOk, uniquePrefix } from '../../src/lab/netns.js';
import { cli, skipReason } from './helpers/cli.js';
import { oracleFeatures } from './helpers/oracle.js';
import { kernelKinds, ovsMissing, startOvs, type OvsLab } from './helpers/ovs-lab.js';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

/** A fake xe that records its calls (test/fakes/xe; not XAPI). */
const FAKE_XE = fileURLToPath(new URL('../fakes/xe', import.meta.url));

const skip = skipReason() || ovsMissing();

const OS_IDS = {
  'iface-id': '3f1c2a9b-12ab-4cde-8f01-23456789abcd',
  'vm-uuid': '7e4b1c9d-2f3a-4b5c-8d6e-0f1a2b3c4d5e',
  'attached-mac': 'fa:16:3e:12:34:56',
  'iface-status': 'active',
};
const XS_IDS = {
  'xs-vm-uuid': '0f3c2b1a-4d5e-4f60-8a7b-9c8d7e6f5a41',
  'xs-vif-uuid': 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
  'xs-network-uuid': '6c2a3f5e-9a0b-4b43-8e0a-3c1f5b2d7e11',
  'attached-mac': '96:1a:2b:3c:4d:5e',
};

let ns = '';
let ovs: OvsLab | null = null;
let tmp = '';

interface StatusIface {
  name: string;
  role: string;
  master: string | null;
  kind: string | null;
  vm: { platform: string; id: string | null; name: string | null; nic: string | null } | null;
  ovs?: { bridge: string; port: string; type: string; datapathType: string; externalIds: Record<string, string> };
}

const ids = (m: Record<string, string>) => Object.entries(m).flatMap(([k, v]) => [`external_ids:${k}=${v}`]);

before(async () => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), 'offloadctl-ovs-test-'));
  ns = await createNetns(`${uniquePrefix('olovs')}a`);
  const ip = (...a: string[]) => ipIn(ns, a);
  // VM ports as veths (their peers play the guests), a tap, two uplink veths for a bond.
  await ip('link', 'add', 'vm-os', 'type', 'veth', 'peer', 'name', 'guest-os');
  await ip('link', 'add', 'vif7.0', 'type', 'veth', 'peer', 'name', 'guest-xs');
  await ip('link', 'add', 'up1', 'type', 'veth', 'peer', 'name', 'wire1');
  await ip('link', 'add', 'up2', 'type', 'veth', 'peer', 'name', 'wire2');
  await ip('link', 'add', 'lonely', 'type', 'veth', 'peer', 'name', 'lonely-p');
  await ip('tuntap', 'add', 'dev', 'tap9', 'mode', 'tap', 'vnet_hdr');
  for (const d of ['vm-os', 'guest-os', 'vif7.0', 'guest-xs', 'up1', 'wire1', 'up2', 'wire2', 'tap9'])
    await ip('link', 'set', d, 'up');
  ovs = await startOvs(ns);
  await ovs.vsctl(
    'add-br',
    'br-int',
    '--',
    'set',
    'Bridge',
    'br-int',
    'datapath_type=netdev',
    '--',
    'add-port',
    'br-int',
    'vm-os',
    '--',
    'set',
    'Interface',
    'vm-os',
    ...ids(OS_IDS),
    '--',
    'add-port',
    'br-int',
    'tap9',
    '--',
    'add-port',
    'br-int',
    'vx0',
    '--',
    'set',
    'Interface',
    'vx0',
    'type=vxlan',
    'options:remote_ip=192.0.2.20',
  );
  await ovs.vsctl(
    'add-br',
    'xenbr0',
    '--',
    'set',
    'Bridge',
    'xenbr0',
    'datapath_type=netdev',
    '--',
    'add-bond',
    'xenbr0',
    'bond0',
    'up1',
    'up2',
    '--',
    'add-port',
    'xenbr0',
    'vif7.0',
    '--',
    'set',
    'Interface',
    'vif7.0',
    ...ids(XS_IDS),
  );
});

after(async () => {
  if (ovs) await ovs.stop();
  if (ns) await deleteNetns(ns);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function status(): Promise<Map<string, StatusIface>> {
  const r = await cli(['--netns', ns, 'status', '--json'], { env: ovs!.env });
  assert.equal(r.code, 0, r.stderr);
  return new Map((JSON.parse(r.stdout) as { interfaces: StatusIface[] }).interfaces.map((i) => [i.name, i]));
}

test('status: OVS bridges and ports as ovs-vsctl lists them; roles and VM owners from external_ids', {
  skip,
  timeout: 180_000,
}, async () => {
  const st = await status();
  const kinds = await kernelKinds(ns);
  // Oracle: every OVS interface with a kernel device is shown under its bridge, with its external_ids.
  const bridges = (await ovs!.vsctl('list-br')).trim().split('\n');
  assert.deepEqual(bridges.sort(), ['br-int', 'xenbr0']);
  let checked = 0;
  for (const br of bridges) {
    for (const iface of (await ovs!.vsctl('list-ifaces', br)).trim().split('\n')) {
      const [row] = await ovs!
        .list('Interface', ['name', 'type', 'external_ids', 'ifindex'])
        .then((rows) => rows.filter((x) => x.name === iface));
      if (!kinds.has(iface)) {
        assert.equal(row!.type, 'vxlan', `${iface}: only the tunnel has no kernel device on the userspace datapath`);
        assert.equal(st.has(iface), false);
        continue;
      }
      const s = st.get(iface);
      assert.ok(s, `${iface} in status`);
      assert.equal(s.master, br, `${iface} master`);
      const oracleIds = Object.fromEntries((row!.external_ids as ['map', [string, string][]])[1]);
      assert.deepEqual(
        s.ovs?.externalIds,
        oracleIds,
        `${iface} external_ids: ${JSON.stringify(s)} ${JSON.stringify(row)}`,
      );
      assert.equal(s.ovs?.bridge, br);
      checked++;
    }
    // The bridge's own internal port: a tap on the userspace datapath, shown as the bridge.
    assert.equal(kinds.get(br), 'tun', `${br} is a tap device on the userspace datapath`);
    assert.deepEqual([st.get(br)?.role, st.get(br)?.master], ['bridge', null]);
  }
  assert.equal(checked, 5);
  assert.equal(st.get('vm-os')?.role, 'vm-port');
  assert.deepEqual(st.get('vm-os')?.vm, {
    platform: 'openstack',
    id: OS_IDS['vm-uuid'],
    name: null,
    nic: OS_IDS['iface-id'],
  });
  assert.equal(st.get('vif7.0')?.role, 'vm-port');
  assert.deepEqual(st.get('vif7.0')?.vm, { platform: 'xen', id: XS_IDS['xs-vm-uuid'], name: null, nic: '0' });
  assert.deepEqual([st.get('up1')?.role, st.get('up1')?.ovs?.port], ['uplink', 'bond0']);
  assert.equal(st.get('tap9')?.role, 'vm-port');
  assert.deepEqual([st.get('ovs-netdev')?.role, st.get('ovs-netdev')?.vm], ['other', null]);
  assert.deepEqual(
    [st.get('lonely')?.master, st.get('lonely')?.ovs],
    [null, undefined],
    'a veth outside OVS is untouched',
  );

  // The table: ports listed under their OVS bridge.
  const t = await cli(['--netns', ns, 'status'], { env: ovs!.env });
  assert.equal(t.code, 0, t.stderr);
  const lines = t.stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith('xenbr0 '));
  assert.ok(at >= 0, t.stdout);
  for (const p of ['up1', 'up2', 'vif7.0'])
    assert.ok(
      lines.some((l) => l.startsWith(`  ${p} `)),
      `${p} indented under its bridge:\n${t.stdout}`,
    );
});

test('without OVS (no socket): the same namespace shows the kernel view, unchanged and without error', {
  skip,
  timeout: 120_000,
}, async () => {
  const r = await cli(['--netns', ns, 'status', '--json'], { env: { OVS_RUNDIR: join(tmp, 'no-ovs-here') } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const st = new Map((JSON.parse(r.stdout) as { interfaces: StatusIface[] }).interfaces.map((i) => [i.name, i]));
  assert.deepEqual([st.get('vm-os')?.master, st.get('vm-os')?.ovs, st.get('vm-os')?.role], [null, undefined, 'veth']);
});

test('audit, apply and restore with OVS selectors: only the VM ports of one OVS bridge change (ethtool oracle)', {
  skip,
  timeout: 240_000,
}, async () => {
  const policy = join(tmp, 'ovs.yaml');
  writeFileSync(
    policy,
    [
      'name: ovs-vm-ports',
      'rules:',
      '  - name: xen-vifs',
      '    select: { master: [xenbr0], role: [vm-port], vmPlatform: [xen] }',
      '    features: { tso: off, gso: off }',
      '',
    ].join('\n'),
  );
  const names = ['vm-os', 'vif7.0', 'up1', 'up2', 'tap9', 'br-int', 'xenbr0'];
  const before: Record<string, Awaited<ReturnType<typeof oracleFeatures>>> = {};
  for (const n of names) before[n] = await oracleFeatures(ns, n);
  assert.equal(before['vif7.0']!['tx-tcp-segmentation']!.active, true, 'veth starts with TSO on');

  const audit = await cli(['--netns', ns, 'audit', '--policy', policy, '--json'], { env: ovs!.env });
  assert.equal(audit.code, 1, audit.stderr);
  const a = JSON.parse(audit.stdout) as { interfaces: { ifname: string; compliant: boolean }[] };
  assert.deepEqual(
    a.interfaces.map((i) => i.ifname),
    ['vif7.0'],
  );

  const state = join(tmp, 'state');
  const apply = await cli(['--netns', ns, 'apply', '--policy', policy, '--yes', '--state-dir', state], {
    env: ovs!.env,
  });
  assert.equal(apply.code, 0, apply.stderr + apply.stdout);
  const vif = await oracleFeatures(ns, 'vif7.0');
  assert.equal(vif['tx-tcp-segmentation']!.active, false);
  assert.equal(vif['tx-generic-segmentation']!.active, false);
  for (const n of names.filter((x) => x !== 'vif7.0'))
    assert.deepEqual(await oracleFeatures(ns, n), before[n], `${n} untouched`);

  const restore = await cli(['--netns', ns, 'restore', '--last', '--yes', '--state-dir', state], { env: ovs!.env });
  assert.equal(restore.code, 0, restore.stderr + restore.stdout);
  for (const n of names) assert.deepEqual(await oracleFeatures(ns, n), before[n], `${n} restored`);
});

test('persist --target xapi: prints, --apply runs and --check reads back xe other-config for the XAPI VIF in OVSDB (fake xe)', {
  skip,
  timeout: 180_000,
}, async () => {
  const env = { ...ovs!.env, FAKE_XE_LOG: join(tmp, 'xe.log'), FAKE_XE_STATE: join(tmp, 'xe.json') };
  const policy = join(tmp, 'xen.yaml');
  writeFileSync(
    policy,
    'name: xen\nrules:\n  - select: { vmPlatform: [xen] }\n    features: { tso: off, gso: off, sg: off }\n',
  );
  const shown = await cli(['--netns', ns, 'persist', '--target', 'xapi', '--policy', policy], { env });
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(
    shown.stdout,
    `xe vif-param-set uuid=${XS_IDS['xs-vif-uuid']} other-config:ethtool-sg=off other-config:ethtool-tso=off other-config:ethtool-gso=off\n`,
  );
  const gap = await cli(
    ['--netns', ns, 'persist', '--target', 'xapi', '--policy', policy, '--check', '--xe-path', FAKE_XE],
    { env },
  );
  assert.equal(gap.code, 1, gap.stdout + gap.stderr);
  const applied = await cli(
    ['--netns', ns, 'persist', '--target', 'xapi', '--policy', policy, '--apply', '--xe-path', FAKE_XE],
    { env },
  );
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  const ok = await cli(
    ['--netns', ns, 'persist', '--target', 'xapi', '--policy', policy, '--check', '--xe-path', FAKE_XE, '--json'],
    { env },
  );
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const calls = readFileSync(env.FAKE_XE_LOG, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as string[]);
  assert.ok(
    calls.some(
      (c) =>
        c.join(' ') ===
        `vif-param-set uuid=${XS_IDS['xs-vif-uuid']} other-config:ethtool-sg=off other-config:ethtool-tso=off other-config:ethtool-gso=off`,
    ),
    JSON.stringify(calls),
  );
  assert.ok(
    calls.some(
      (c) =>
        c.join(' ') === `vif-param-get uuid=${XS_IDS['xs-vif-uuid']} param-name=other-config param-key=ethtool-tso`,
    ),
  );
});

test('doctor: a VXLAN device with tx-checksum-ip-generic on is a finding (ethtool oracle), off is not', {
  skip,
  timeout: 180_000,
}, async () => {
  await ipIn(ns, [
    'link',
    'add',
    'vxlan_sys_4789',
    'type',
    'vxlan',
    'id',
    '42',
    'dstport',
    '4789',
    'local',
    '192.0.2.1',
  ]);
  try {
    const on = (await oracleFeatures(ns, 'vxlan_sys_4789'))['tx-checksum-ip-generic']!;
    assert.equal(on.active, true, 'the kernel default for a vxlan device: checksum offload on');
    const doctor = async () => {
      const r = await cli(['--netns', ns, 'doctor', '--checks', 'topology', '--json'], { env: ovs!.env });
      assert.ok(r.code === 0 || r.code === 1, r.stderr);
      return (JSON.parse(r.stdout) as { findings: { id: string; interfaces: string[] }[] }).findings.filter(
        (f) => f.id === 'tunnel-checksum-offload',
      );
    };
    assert.deepEqual(
      (await doctor()).map((f) => f.interfaces),
      [['vxlan_sys_4789']],
    );
    await nsRunOk(ns, ['ethtool', '-K', 'vxlan_sys_4789', 'tx-checksum-ip-generic', 'off']);
    assert.equal((await oracleFeatures(ns, 'vxlan_sys_4789'))['tx-checksum-ip-generic']!.active, false);
    assert.deepEqual(await doctor(), []);
  } finally {
    await ipIn(ns, ['link', 'del', 'vxlan_sys_4789']);
  }
});
