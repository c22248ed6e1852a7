import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createNetns, deleteNetns, uniquePrefix } from '../../src/lab/netns.js';
import { QemuLikeTap, inRoot, tsoGsoStillOn } from './persist-helpers.js';
import { cliIn, skipReason, tmpDir } from './helpers/cli.js';
import { oracleFeatures } from './helpers/oracle.js';

/**
 * The libvirt hook, run the way libvirtd runs it: `/etc/libvirt/hooks/qemu DOMAIN started begin -`
 * with the domain XML on stdin, inside the namespace where the domain's tap exists. An existing
 * hook must keep running (chained) and come back on uninstall.
 */
const skip = skipReason('python3');
const ns = skip ? '' : `${uniquePrefix('plh')}a`;
const roots: (() => void)[] = [];
after(async () => {
  if (ns) await deleteNetns(ns);
  for (const r of roots) r();
});

/** A domain XML as libvirt passes it (status XML shape: <domstatus> is not used for hooks). */
const domainXml = (tap: string) => `<domain type='kvm' id='3'>
  <name>vm-persist</name>
  <uuid>5b2e8a52-6c1f-4b1e-9f59-1d5f3f0e2a11</uuid>
  <memory unit='KiB'>1048576</memory>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/vm.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <mac address='52:54:00:6b:3c:58'/>
      <source bridge='br0'/>
      <target dev='${tap}'/>
      <model type='virtio'/>
      <alias name='net0'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </interface>
  </devices>
</domain>
`;

for (const variant of ['plain ethtool', 'offloadctl apply'] as const) {
  test(`libvirt hook (${variant}) applies the policy on "started" and chains the existing hook`, { skip }, async () => {
    if (!existsSync(`/run/netns/${ns}`)) await createNetns(ns);
    const root = tmpDir('plh');
    roots.push(root.remove);
    const hooks = `${root.dir}/etc/libvirt/hooks`;
    mkdirSync(hooks, { recursive: true });
    const original = `#!/bin/sh\necho "$@" > ${root.dir}/marker-args\ncat > ${root.dir}/marker-stdin\nexit 0\n`;
    writeFileSync(`${hooks}/qemu`, original);
    chmodSync(`${hooks}/qemu`, 0o755);

    const extra = variant === 'plain ethtool' ? ['--no-offloadctl-on-boot-path'] : [];
    const p = await cliIn(ns, ['persist', '--target', 'libvirt-hook', '--root', root.dir, ...extra]);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(readFileSync(`${hooks}/qemu.offloadctl-chained`, 'utf8'), original);
    const again = await cliIn(ns, ['persist', '--target', 'libvirt-hook', '--root', root.dir, ...extra]);
    assert.match(again.stdout, /libvirt-hook: unchanged/);

    const tapName = variant === 'plain ethtool' ? 'vnet11' : 'vnet12';
    const tap = await QemuLikeTap.open(ns, tapName);
    try {
      assert.ok(tsoGsoStillOn(await oracleFeatures(ns, tapName)).length > 0);
      const r = await inRoot(ns, root.dir, ['/etc/libvirt/hooks/qemu', 'vm-persist', 'started', 'begin', '-'], {
        input: domainXml(tapName),
        env: { ...process.env, OFFLOADCTL_NETNS: ns },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(tsoGsoStillOn(await oracleFeatures(ns, tapName)), []);
    } finally {
      tap.close();
    }
    assert.equal(readFileSync(`${root.dir}/marker-args`, 'utf8'), 'vm-persist started begin -\n');
    assert.equal(readFileSync(`${root.dir}/marker-stdin`, 'utf8'), domainXml(tapName));

    const u = await cliIn(ns, ['persist', '--target', 'libvirt-hook', '--root', root.dir, '--uninstall']);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(readFileSync(`${hooks}/qemu`, 'utf8'), original);
    assert.ok(!existsSync(`${hooks}/qemu.offloadctl-chained`));
  });
}

test('libvirt hook: other operations do nothing and pass the chained hook exit code through', { skip }, async () => {
  if (!existsSync(`/run/netns/${ns}`)) await createNetns(ns);
  const root = tmpDir('plh3');
  roots.push(root.remove);
  const hooks = `${root.dir}/etc/libvirt/hooks`;
  mkdirSync(hooks, { recursive: true });
  writeFileSync(`${hooks}/qemu`, '#!/bin/sh\n[ "$2" = prepare ] && exit 7\nexit 0\n');
  chmodSync(`${hooks}/qemu`, 0o755);
  assert.equal(
    (await cliIn(ns, ['persist', '--target', 'libvirt-hook', '--root', root.dir, '--no-offloadctl-on-boot-path'])).code,
    0,
  );
  const r = await inRoot(ns, root.dir, ['/etc/libvirt/hooks/qemu', 'vm', 'prepare', 'begin', '-'], {
    input: domainXml('vnet13'),
  });
  assert.equal(r.code, 7, 'libvirt aborts the start when prepare fails: our hook must keep that');
});
