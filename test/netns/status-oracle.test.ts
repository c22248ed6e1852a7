/**
 * `offloadctl --netns NS status --json` against the oracle: `ethtool --json -k IF` (every feature:
 * active, requested, fixed; legacy keys mapped to kernel names, aggregates skipped), `ethtool -i IF`
 * (driver) and `ip -json -d link` (ifindex, name, kind, master, mtu, operstate), for both backends.
 * Topology in a namespace of its own: a bridge, veths, taps with and without vnet_hdr, macvlan,
 * macvtap, VXLAN; a bond and a VLAN where the kernel has the modules; names of 15 characters and with
 * dots and dashes; features toggled to unusual states with ethtool -K inside the namespace.
 * Needs root; run `npm run build` first (scripts/test.sh does).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createNetns, deleteNetns, ipIn, nsRun, nsRunOk, uniquePrefix } from '../../src/lab/netns.js';
import { cli, isRoot } from './helpers/cli.js';
import { oracleFeatures, oracleLinks, type Features, type OracleLink } from './helpers/oracle.js';

const skip = isRoot ? false : 'needs root: creates a network namespace';

const L15 = 'vm-port.eth-015'; // exactly 15 characters (IFNAMSIZ - 1)
const NAMES = {
  bridge: 'br-vm.0',
  upA: 'up-link.a', // uplink veth in the bridge
  upB: 'up-link.b', // its peer (macvlan/macvtap/vxlan parent)
  port15: L15, // veth in the bridge, 15 characters
  peer15: 'peer-of.15-char',
  tapHdr: 'vnet0',
  tapPlain: 'tap-plain.1',
  macvlan: 'mvl-0.a',
  macvtap: 'macvtap0',
  vxlan: 'vx-100',
};
assert.equal(L15.length, 15);
assert.equal(NAMES.peer15.length, 15);

let ns = '';
const optional: Record<string, string | null> = { bond: null, vlan: null }; // null = built; else why not

after(async () => {
  if (ns) await deleteNetns(ns);
});

async function build(): Promise<void> {
  ns = await createNetns(`${uniquePrefix('olst')}a`);
  const n = NAMES;
  const ip = (...a: string[]) => ipIn(ns, a);
  await ip('link', 'add', n.bridge, 'type', 'bridge');
  await ip('link', 'add', n.upA, 'type', 'veth', 'peer', 'name', n.upB);
  await ip('link', 'add', n.port15, 'type', 'veth', 'peer', 'name', n.peer15);
  await ip('tuntap', 'add', 'dev', n.tapHdr, 'mode', 'tap', 'vnet_hdr');
  await ip('tuntap', 'add', 'dev', n.tapPlain, 'mode', 'tap');
  await ip('link', 'add', 'link', n.upB, 'name', n.macvlan, 'type', 'macvlan', 'mode', 'bridge');
  await ip('link', 'add', 'link', n.upB, 'name', n.macvtap, 'type', 'macvtap', 'mode', 'bridge');
  await ip('link', 'add', n.vxlan, 'type', 'vxlan', 'id', '100', 'dstport', '4789', 'dev', n.upB);
  for (const p of [n.upA, n.port15, n.tapHdr, n.tapPlain, n.vxlan]) await ip('link', 'set', p, 'master', n.bridge);
  await ip('link', 'set', n.port15, 'mtu', '1400');
  for (const d of Object.values(n)) await ip('link', 'set', d, 'up');

  // Bond and VLAN: this kernel may lack the bonding/8021q modules.
  const bond = await nsRun(ns, ['ip', 'link', 'add', 'bond-0.x', 'type', 'bond']);
  if (bond.code === 0) {
    await ip('link', 'set', 'bond-0.x', 'master', n.bridge);
  } else
    optional.bond = `cannot create a bond here (${bond.stderr.trim() || `ip exit ${bond.code}`}); classification is covered by test/unit/host/roles.test.ts fixtures`;
  const vlan = await nsRun(ns, [
    'ip',
    'link',
    'add',
    'link',
    n.upB,
    'name',
    'up-link.b.10',
    'type',
    'vlan',
    'id',
    '10',
  ]);
  if (vlan.code !== 0)
    optional.vlan = `cannot create a VLAN device here (${vlan.stderr.trim() || `ip exit ${vlan.code}`}); classification is covered by test/unit/host/roles.test.ts fixtures`;

  // Unusual states, inside the namespace only.
  const k = (dev: string, ...kv: string[]) => nsRunOk(ns, ['ethtool', '-K', dev, ...kv]);
  await k(n.port15, 'tso', 'off', 'gro', 'on', 'rx-gro-list', 'on');
  await k(n.peer15, 'sg', 'off'); // TSO/GSO held off with requested on
  await k(n.bridge, 'gso', 'off', 'tx-nocache-copy', 'on');
  await k(n.tapHdr, 'tx', 'off'); // tap: drops TSO; requested stays
  await k(n.macvlan, 'gro', 'off', 'tx-udp-segmentation', 'off');
  await k(n.upB, 'rxvlan', 'off', 'txvlan', 'off');
  await k(n.vxlan, 'tso', 'off');
  await settle();
}

/**
 * Operstate follows carrier changes through linkwatch, which may delay an event by up to a second
 * (net/core/link_watch.c): wait until two readings 400 ms apart agree, so the oracle is stable.
 */
async function settle(): Promise<void> {
  let prev = '';
  for (let i = 0; i < 15; i++) {
    const now = JSON.stringify(
      (JSON.parse(await ipIn(ns, ['-json', 'link', 'show'])) as OracleLink[]).map((l) => [l.ifname, l.operstate]),
    );
    if (now === prev) return;
    prev = now;
    await new Promise((r) => setTimeout(r, 400));
  }
}

async function oracleDriver(dev: string): Promise<string | null> {
  const r = await nsRun(ns, ['ethtool', '-i', dev]);
  if (r.code !== 0) return null; // "Operation not supported" (lo)
  return /^driver: (.*)$/m.exec(r.stdout)?.[1] ?? null;
}

async function status(
  backend: string,
  extra: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return cli(['--netns', ns, '--backend', backend, 'status', ...extra]);
}

test('status --json matches ethtool --json -k, ethtool -i and ip -json -d link', { skip }, async (t) => {
  assert.ok(existsSync(new URL('../../dist/main.cjs', import.meta.url)), 'dist/main.cjs missing: run npm run build');
  await build();
  const links = await oracleLinks(ns);
  const oracle = new Map<string, { link: OracleLink; features: Features; driver: string | null }>();
  for (const l of links)
    oracle.set(l.ifname, {
      link: l,
      features: await oracleFeatures(ns, l.ifname),
      driver: await oracleDriver(l.ifname),
    });

  // The unusual states really are in place (the oracle is not trivially the default).
  assert.equal(oracle.get(NAMES.port15)!.features['tx-tcp-segmentation']!.active, false);
  assert.equal(oracle.get(NAMES.port15)!.features['rx-gro-list']!.active, true);
  assert.deepEqual(oracle.get(NAMES.peer15)!.features['tx-tcp-segmentation'], {
    active: false,
    requested: true,
    fixed: false,
  });
  assert.equal(oracle.get(NAMES.bridge)!.features['tx-generic-segmentation']!.active, false);

  for (const backend of ['netlink', 'ethtool']) {
    await t.test(`backend ${backend}`, async () => {
      const r = await status(backend, ['--json']);
      assert.equal(r.code, 0, r.stderr);
      const got = JSON.parse(r.stdout) as { interfaces: Record<string, unknown>[] };
      assert.deepEqual(Object.keys(got), ['interfaces']);
      assert.deepEqual(got.interfaces.map((i) => i.name).sort(), [...oracle.keys()].sort(), 'same interfaces');
      for (const i of got.interfaces) {
        const name = i.name as string;
        const o = oracle.get(name)!;
        assert.deepEqual(Object.keys(i), [
          'name',
          'ifindex',
          'kind',
          'role',
          'master',
          'driver',
          'mtu',
          'operstate',
          'vm',
          'features',
        ]);
        assert.deepEqual(
          { ifindex: i.ifindex, kind: i.kind, master: i.master, mtu: i.mtu, operstate: i.operstate },
          {
            ifindex: o.link.ifindex,
            kind: o.link.linkinfo?.info_kind ?? null,
            master: o.link.master ?? null,
            mtu: o.link.mtu,
            operstate: o.link.operstate,
          },
          `${name}: link fields`,
        );
        assert.equal(i.driver, o.driver, `${name}: driver`);
        assert.deepEqual(i.features, o.features, `${name}: features (active, requested, fixed)`);
      }
      const roles = Object.fromEntries(got.interfaces.map((i) => [i.name, i.role]));
      assert.equal(roles.lo, 'loopback');
      assert.equal(roles[NAMES.bridge], 'bridge');
      assert.equal(roles[NAMES.tapHdr], 'vm-port');
      assert.equal(roles[NAMES.tapPlain], 'vm-port');
      assert.equal(roles[NAMES.macvtap], 'vm-port');
      assert.equal(roles[NAMES.macvlan], 'other');
      assert.equal(roles[NAMES.vxlan], 'tunnel');
      assert.equal(roles[NAMES.port15], 'veth');
      if (!optional.bond) assert.equal(roles['bond-0.x'], 'uplink');
      if (!optional.vlan) assert.equal(roles['up-link.b.10'], 'vlan');
    });
  }

  await t.test('bond', { skip: optional.bond ?? false }, () => {});
  await t.test('vlan', { skip: optional.vlan ?? false }, () => {});

  await t.test(
    'table: ports under the bridge, requested-vs-active markers; IFACE selection; unknown IFACE exits 2',
    async () => {
      const r = await status('netlink', ['--all']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.split('\n');
      const bridgeLine = lines.findIndex((l) => l.startsWith(`${NAMES.bridge} `));
      assert.ok(bridgeLine >= 0, r.stdout);
      assert.ok(
        lines.some((l) => l.startsWith(`  ${NAMES.port15} `)),
        'port15 indented under the bridge',
      );
      assert.match(lines.find((l) => l.startsWith(NAMES.peer15))!, /off \[req on\]/);
      const one = await status('netlink', ['--json', NAMES.port15]);
      assert.deepEqual(
        JSON.parse(one.stdout).interfaces.map((i: { name: string }) => i.name),
        [NAMES.port15],
      );
      const bad = await status('netlink', ['no-such-if0']);
      assert.equal(bad.code, 2);
      assert.equal(bad.stderr.trim(), 'offloadctl: no such interface: no-such-if0');
    },
  );
});
