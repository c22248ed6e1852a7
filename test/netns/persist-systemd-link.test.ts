import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { run } from '../../src/kernel/exec.js';
import { createNetns, deleteNetns, ipIn, nsRun, uniquePrefix } from '../../src/lab/netns.js';
import { installTarget } from '../../src/persist/install.js';
import { render } from '../../src/persist/render/index.js';
import { fsRoot } from '../../src/persist/root.js';
import { COMMON_KERNEL_FEATURES, expandFeatureName } from '../../src/policy/short-names.js';
import { inRoot, tsoGsoStillOn } from './persist-helpers.js';
import { cliIn, skipReason, tmpDir } from './helpers/cli.js';
import { oracleFeatures } from './helpers/oracle.js';

/**
 * systemd-link and netplan, proven with the real consumers: `udevadm test-builtin net_setup_link`
 * applies the installed .link file to a namespace interface (with ROOT/etc over /etc), and
 * `netplan generate --root-dir` accepts the rendered YAML and writes the expected .link keys.
 */
const skip = skipReason('udevadm');
const ns = skip ? '' : `${uniquePrefix('psl')}a`;
const roots: (() => void)[] = [];
after(async () => {
  if (ns) await deleteNetns(ns);
  for (const r of roots) r();
});

test('systemd-link: udev applies 00-offloadctl-IFACE.link; accecn needs the companion rule and --check says so', {
  skip,
}, async () => {
  await createNetns(ns);
  await ipIn(ns, ['link', 'add', 'olcl0', 'type', 'veth', 'peer', 'name', 'olcl1']);
  await ipIn(ns, ['link', 'add', 'olcbr0', 'type', 'bridge']);
  const root = tmpDir('psl');
  roots.push(root.remove);
  mkdirSync(`${root.dir}/usr/lib/systemd/network`, { recursive: true });
  if (existsSync('/usr/lib/systemd/network/99-default.link')) {
    copyFileSync('/usr/lib/systemd/network/99-default.link', `${root.dir}/usr/lib/systemd/network/99-default.link`);
  }
  const p = await cliIn(ns, ['persist', '--target', 'systemd-link', '--root', root.dir]);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /00-offloadctl-olcl0\.link shadows \/usr\/lib\/systemd\/network\/99-default\.link/);
  const accecn = 'tx-tcp-accecn-segmentation' in (await oracleFeatures(ns, 'olcl0'));

  for (const ifname of ['olcl0', 'olcbr0']) {
    assert.ok(tsoGsoStillOn(await oracleFeatures(ns, ifname)).length > 0);
    const r = await inRoot(ns, root.dir, ['udevadm', 'test-builtin', 'net_setup_link', `/sys/class/net/${ifname}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout + r.stderr,
      new RegExp(`Config file /etc/systemd/network/00-offloadctl-${ifname}\\.link is applied`),
    );
    const f = await oracleFeatures(ns, ifname);
    for (const k of ['tx-tcp-segmentation', 'tx-tcp6-segmentation', 'tx-generic-segmentation']) {
      assert.deepEqual([k, f[k]!.requested, f[k]!.active], [k, false, false]);
    }
    // Measured on 6.18: TCPSegmentationOffload=false leaves tx-tcp-accecn-segmentation on, and
    // ECN/mangleid TSO inactive by dependency but still requested.
    if (accecn) assert.equal(f['tx-tcp-accecn-segmentation']!.active, true);
    assert.equal(f['tx-tcp-ecn-segmentation']!.active, false);
  }

  const c = await cliIn(ns, ['persist', '--check', '--root', root.dir, '--json']);
  assert.ok(c.stdout.trim(), c.stderr);
  const report = JSON.parse(c.stdout) as {
    rows: { interface: string; boot: string[]; gaps: string[]; caveats: string[] }[];
  };
  const row = report.rows.find((r) => r.interface === 'olcl0')!;
  // .link files are applied by udev, which sees the host's namespace only: not credited in this
  // one (the same check in the host's namespace credits them; test/unit/persist/check.test.ts).
  assert.deepEqual(row.boot, []);
  assert.ok(
    (report as unknown as { notes: string[] }).notes.some((n) => n.startsWith('systemd-link: not credited here')),
  );
  assert.equal(c.code, 1, 'not credited here, and VM-port schemes are not covered by systemd-link: gaps, exit 1');
  assert.ok(
    report.rows.some((r) => r.interface === 'vnet*' && r.gaps[0] === 'nothing applies the policy when a VM starts'),
  );

  // The companion rule, as udev's rule engine reads it, finishes the job.
  const t = await inRoot(ns, root.dir, ['udevadm', 'test', '--action=add', '/sys/class/net/olcl0']);
  const runs = [...(t.stdout + t.stderr).matchAll(/^run: '(.*)'$/gm)]
    .map((m) => m[1]!)
    .filter((x) => x.includes('ethtool'));
  if (accecn) {
    assert.deepEqual(runs, [
      '/sbin/ethtool -K olcl0 tx-tcp-accecn-segmentation off tx-tcp-ecn-segmentation off tx-tcp-mangleid-segmentation off',
    ]);
  }
  for (const cmd of runs) assert.equal((await nsRun(ns, cmd.split(' '))).code, 0);
  assert.deepEqual(tsoGsoStillOn(await oracleFeatures(ns, 'olcl0')), []);

  // With the udev target too: still nothing credited in this namespace (udev is the host's).
  assert.equal((await cliIn(ns, ['persist', '--target', 'udev', '--root', root.dir])).code, 0);
  const c2 = await cliIn(ns, ['persist', '--check', '--root', root.dir]);
  assert.equal(c2.code, 1, c2.stdout);
  assert.match(c2.stdout, /^note: udev: not credited here/m);
});

test('netplan: `netplan generate --root-dir` accepts the rendered YAML and emits the offload keys', {
  skip: skipReason('netplan'),
}, async () => {
  const root = tmpDir('pnp');
  roots.push(root.remove);
  mkdirSync(`${root.dir}/etc/netplan`, { recursive: true });
  const cloud =
    'network:\n  version: 2\n  ethernets:\n    eno1:\n      match:\n        macaddress: "aa:bb:cc:00:00:01"\n      set-name: eno1\n      dhcp4: true\n';
  writeFileSync(`${root.dir}/etc/netplan/50-cloud-init.yaml`, cloud, { mode: 0o600 });
  const known = [...COMMON_KERNEL_FEATURES];
  const desired = Object.fromEntries(
    [...expandFeatureName('tso', known), ...expandFeatureName('gso', known)].map((f) => [f, false]),
  );
  const nic = {
    name: 'eno1',
    kind: null,
    role: 'uplink' as const,
    driver: 'e1000e',
    mac: 'aa:bb:cc:00:00:01',
    physical: true,
    vm: null,
    desired,
    known,
  };
  const result = render('netplan', {
    interfaces: [nic],
    vmSchemes: [],
    root: fsRoot(root.dir),
    options: {
      policyName: 'tso-gso-off',
      offloadctlPath: '/x',
      policyPath: '/y',
      noOffloadctlOnBootPath: true,
      ethtoolPath: '/sbin/ethtool',
    },
  });
  installTarget(root.dir, result, { policy: 'tso-gso-off' });
  const doc = parseYaml(readFileSync(`${root.dir}/etc/netplan/90-offloadctl.yaml`, 'utf8')) as Record<string, unknown>;
  assert.ok(doc.network);
  const r = await run(['netplan', 'generate', '--root-dir', root.dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /error|unknown key/i);
  const dir = `${root.dir}/run/systemd/network`;
  assert.ok(readdirSync(dir).includes('10-netplan-eno1.link'));
  const link = readFileSync(`${dir}/10-netplan-eno1.link`, 'utf8');
  assert.match(link, /^Name=eno1$/m, 'our keys merged into the existing definition: its naming stays');
  assert.match(link, /^TCPSegmentationOffload=false$/m);
  assert.match(link, /^TCP6SegmentationOffload=false$/m);
  assert.match(link, /^GenericSegmentationOffload=false$/m);
  assert.ok(
    readFileSync(`${dir}/10-netplan-eno1.network`, 'utf8').includes('DHCP=ipv4'),
    'the rest of the definition is untouched',
  );
});
