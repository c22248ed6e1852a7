import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmIndexCache } from '../../../src/host/vm-index-cache.js';
import { readVmIndex } from '../../../src/host/vm-reader.js';

const domain = (name: string, dev: string) =>
  `<domstatus state='running'><domain type='kvm' id='1'><name>${name}</name><uuid>u-${name}</uuid>` +
  `<devices><interface type='bridge'><mac address='52:54:00:00:00:01'/><target dev='${dev}'/></interface></devices></domain></domstatus>`;

/** As libvirt does (virFileRewrite): write aside, rename over. */
function rewrite(path: string, text: string): void {
  writeFileSync(`${path}.new`, text);
  renameSync(`${path}.new`, path);
}

test('the cached VM index follows the files as they change, like a fresh read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'olc-vmcache-'));
  try {
    const sources = { libvirtDir: join(dir, 'qemu'), proxmoxDir: join(dir, 'pve') };
    const cache = new VmIndexCache(sources);
    const names = ['vnet0', 'vnet1', 'tap100i0'];
    const same = () => {
      const a = cache.get(names);
      const b = readVmIndex(sources, names);
      assert.deepEqual([...a.byIfname].sort(), [...b.byIfname].sort());
      assert.deepEqual([...a.proxmoxNames], [...b.proxmoxNames]);
      return a;
    };
    assert.equal(same().byIfname.size, 0, 'no folders yet: nothing');
    mkdirSync(sources.libvirtDir);
    mkdirSync(sources.proxmoxDir);
    rewrite(join(sources.libvirtDir, 'web01.xml'), domain('web01', 'vnet0'));
    writeFileSync(join(sources.proxmoxDir, '100.conf'), 'name: db-primary\n');
    assert.equal(same().byIfname.get('vnet0')?.name, 'web01');
    assert.equal(cache.get(names).proxmoxNames.get('100'), 'db-primary');
    // the VM restarted with its port under another name; a second VM appeared
    rewrite(join(sources.libvirtDir, 'web01.xml'), domain('web01', 'vnet1'));
    rewrite(join(sources.libvirtDir, 'web02.xml'), domain('web02', 'vnet0'));
    assert.equal(same().byIfname.get('vnet1')?.name, 'web01');
    assert.equal(cache.get(names).byIfname.get('vnet0')?.name, 'web02');
    // renamed in Proxmox, then removed
    rewrite(join(sources.proxmoxDir, '100.conf'), 'name: db-replica\n');
    assert.equal(same().proxmoxNames.get('100'), 'db-replica');
    unlinkSync(join(sources.proxmoxDir, '100.conf'));
    unlinkSync(join(sources.libvirtDir, 'web02.xml'));
    const last = same();
    assert.equal(last.byIfname.get('vnet0'), undefined);
    assert.equal(last.proxmoxNames.size, 0);
    assert.equal(last.byIfname.get('vnet1')?.name, 'web01');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
