import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEthtoolFeatures, LEGACY_TO_KERNEL } from '../../../src/kernel/ethtool-cli/parse-features.js';
import { parseIpLinks, IFF } from '../../../src/kernel/ethtool-cli/parse-links.js';
import { cliError } from '../../../src/kernel/ethtool-cli/backend.js';
import { loadFixture } from './fixtures.js';

test('ethtool --json -k: legacy labels → kernel names, aggregates skipped', () => {
  const [d] = parseEthtoolFeatures(
    JSON.stringify([
      {
        ifname: 'br0',
        'rx-checksumming': { active: true, fixed: false, requested: true },
        'tx-checksumming': { active: true, fixed: null, requested: null },
        'scatter-gather': { active: true, fixed: null, requested: null },
        'tcp-segmentation-offload': { active: false, fixed: null, requested: null },
        'tx-tcp-segmentation': { active: false, fixed: false, requested: true },
        'generic-segmentation-offload': { active: true, fixed: false, requested: true },
        'large-receive-offload': { active: false, fixed: true, requested: false },
      },
    ]),
  );
  assert.equal(d!.ifname, 'br0');
  assert.deepEqual(Object.keys(d!.features).sort(), [
    'rx-checksum',
    'rx-lro',
    'tx-generic-segmentation',
    'tx-tcp-segmentation',
  ]);
  assert.deepEqual(d!.features['tx-tcp-segmentation'], { active: false, requested: true, fixed: false });
  assert.deepEqual(d!.features['rx-lro'], { active: false, requested: false, fixed: true });
});

test('recorded ethtool output: 60 kernel features per device, every legacy label mapped', () => {
  const f = loadFixture('features-dump-compact');
  const devs = parseEthtoolFeatures(JSON.stringify(f.oracle));
  const kernelNames = new Set(f.names!.filter(Boolean));
  for (const d of devs) {
    assert.equal(Object.keys(d.features).length, kernelNames.size, d.ifname);
    for (const n of Object.keys(d.features)) assert.ok(kernelNames.has(n), n);
  }
  for (const k of Object.values(LEGACY_TO_KERNEL)) assert.ok(kernelNames.has(k), k);
});

test('ip -json -d link: names → indexes, tun details, netnsid peers are not parents, flags', () => {
  const links = parseIpLinks(
    JSON.stringify([
      {
        ifindex: 1,
        ifname: 'lo',
        flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
        mtu: 65536,
        operstate: 'UNKNOWN',
        address: '00:00:00:00:00:00',
      },
      {
        ifindex: 4,
        ifname: 'br0',
        flags: ['BROADCAST', 'MULTICAST', 'UP'],
        mtu: 1500,
        operstate: 'UP',
        address: 'aa:bb:cc:dd:ee:ff',
        linkinfo: { info_kind: 'bridge' },
      },
      {
        ifindex: 5,
        ifname: 'vnet3',
        flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'],
        mtu: 1500,
        master: 'br0',
        operstate: 'DOWN',
        address: 'fe:54:00:00:00:01',
        linkinfo: {
          info_kind: 'tun',
          info_slave_kind: 'bridge',
          info_data: { type: 'tap', pi: false, vnet_hdr: true, multi_queue: true, persist: false, user: '64055' },
        },
      },
      {
        ifindex: 6,
        ifname: 'veth0',
        link_index: 2,
        link_netnsid: 0,
        flags: ['BROADCAST'],
        mtu: 1500,
        operstate: 'UP',
        linkinfo: { info_kind: 'veth' },
      },
      {
        ifindex: 7,
        ifname: 'eno1',
        flags: ['BROADCAST'],
        mtu: 9000,
        operstate: 'UP',
        parentbus: 'pci',
        parentdev: '0000:01:00.0',
      },
      {
        ifindex: 8,
        ifname: 'eno1.100',
        link: 'eno1',
        flags: [],
        mtu: 9000,
        operstate: 'UP',
        linkinfo: { info_kind: 'vlan', info_data: { protocol: '802.1Q', id: 100 } },
      },
    ]),
  );
  const by = new Map(links.map((l) => [l.name, l]));
  assert.equal(by.get('lo')!.flags, IFF.LOOPBACK! | IFF.UP! | IFF.LOWER_UP!);
  assert.equal(by.get('vnet3')!.masterIndex, 4);
  assert.equal(by.get('vnet3')!.slaveKind, 'bridge');
  assert.deepEqual(by.get('vnet3')!.tun, {
    type: 'tap',
    vnetHdr: true,
    multiQueue: true,
    persist: false,
    owner: 64055,
    group: null,
  });
  assert.equal(by.get('veth0')!.parentIndex, null);
  assert.equal(by.get('eno1')!.physical, true);
  assert.equal(by.get('eno1.100')!.parentIndex, 7);
  assert.equal(by.get('eno1.100')!.vlanId, 100);
});

test('ethtool/ip failures map to KernelError codes by message', () => {
  const r = (code: number, stderr: string) => ({ code, stdout: '', stderr });
  assert.equal(
    cliError(r(1, 'netlink error: no device matches name (offset 24)\nnetlink error: No such device'), 'x', 'eth9')
      .code,
    'not-found',
  );
  assert.equal(cliError(r(92, 'netlink error: No such device'), 'x', 'eth9').code, 'not-found');
  assert.equal(
    cliError(r(92, 'netlink error: bit name not found (offset 52)\nnetlink error: Operation not supported'), 'x').code,
    'not-supported',
  );
  assert.equal(cliError(r(1, 'Cannot change features: Operation not permitted'), 'x').code, 'permission-denied');
  assert.equal(cliError(r(1, 'netlink error: Invalid argument'), 'x').code, 'invalid');
  assert.equal(cliError(r(3, 'something odd'), 'x').code, 'io');
});

test('EthtoolCliBackend: missing programs → not-supported', async () => {
  const { EthtoolCliBackend } = await import('../../../src/kernel/ethtool-cli/backend.js');
  const { KernelError } = await import('../../../src/kernel/types.js');
  const k = new EthtoolCliBackend('/nonexistent/ethtool', '/nonexistent/ip');
  await assert.rejects(k.getFeatures('eth0'), (e: unknown) => e instanceof KernelError && e.code === 'not-supported');
  await assert.rejects(k.listLinks(), (e: unknown) => e instanceof KernelError && e.code === 'not-supported');
});

test('EthtoolCliBackend.setFeatures with a stub ethtool: fixed bits never sent, exit 1 "Could not change" → notApplied', async () => {
  const { mkdtempSync, writeFileSync, readFileSync, rmSync, chmodSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { EthtoolCliBackend } = await import('../../../src/kernel/ethtool-cli/backend.js');
  const dir = mkdtempSync(join(tmpdir(), 'olc-ethtool-stub-'));
  try {
    const state = JSON.stringify([
      {
        ifname: 'tap0',
        'tx-tcp-segmentation': { active: false, fixed: false, requested: true },
        'tx-checksum-ipv4': { active: false, fixed: true, requested: false },
        'generic-segmentation-offload': { active: true, fixed: false, requested: true },
      },
    ]);
    writeFileSync(join(dir, 'state.json'), state);
    // a stand-in for ethtool: prints the recorded state for -k, logs -K argv and fails like a tap does
    writeFileSync(
      join(dir, 'ethtool'),
      `#!/bin/sh
if [ "$1" = "--json" ]; then cat "${dir}/state.json"; exit 0; fi
if [ "$1" = "-K" ]; then shift; echo "$@" >> "${dir}/log"; echo "Could not change any device features" >&2; exit 1; fi
exit 2
`,
    );
    chmodSync(join(dir, 'ethtool'), 0o755);
    const k = new EthtoolCliBackend(join(dir, 'ethtool'));
    const r = await k.setFeatures('tap0', {
      'tx-tcp-segmentation': true,
      'tx-checksum-ipv4': true,
      'tx-generic-segmentation': true,
    });
    assert.deepEqual(r.notApplied.sort(), ['tx-checksum-ipv4', 'tx-tcp-segmentation']);
    assert.equal(
      readFileSync(join(dir, 'log'), 'utf8').trim(),
      'tap0 tx-tcp-segmentation on tx-generic-segmentation on',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("EthtoolCliBackend.dumpFeatures without '*' support: one ethtool per link; a link gone meanwhile is left out", async () => {
  const { mkdtempSync, writeFileSync, rmSync, chmodSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { EthtoolCliBackend } = await import('../../../src/kernel/ethtool-cli/backend.js');
  const dir = mkdtempSync(join(tmpdir(), 'olc-ethtool-stub-'));
  try {
    writeFileSync(
      join(dir, 'ip'),
      `#!/bin/sh
echo '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK"],"mtu":65536,"operstate":"UNKNOWN"},{"ifindex":7,"ifname":"vnet0","flags":[],"mtu":1500,"operstate":"UP"},{"ifindex":9,"ifname":"vnet1","flags":[],"mtu":1500,"operstate":"UP"}]'
`,
    );
    // an old ethtool: no '*', and vnet1 vanished after the link list
    writeFileSync(
      join(dir, 'ethtool'),
      `#!/bin/sh
case "$3" in
  '*') echo "netlink error: no device matches name" >&2; exit 1;;
  vnet1) echo "netlink error: No such device" >&2; exit 1;;
  *) echo "[{\\"ifname\\":\\"$3\\",\\"generic-receive-offload\\":{\\"active\\":true,\\"fixed\\":false,\\"requested\\":true}}]";;
esac
`,
    );
    chmodSync(join(dir, 'ip'), 0o755);
    chmodSync(join(dir, 'ethtool'), 0o755);
    const k = new EthtoolCliBackend(join(dir, 'ethtool'), join(dir, 'ip'));
    const d = await k.dumpFeatures();
    assert.deepEqual([...d.keys()], [1, 7]);
    assert.deepEqual(d.get(7), { 'rx-gro': { active: true, requested: true, fixed: false } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
