import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, deleteNetns, ipIn, uniquePrefix } from '../../src/lab/netns.js';
import { cliIn, skipReason, tmpDir } from './helpers/cli.js';

/**
 * `persist --target auto` end to end, in a namespace (the CLI observes its interfaces) against a
 * root that looks like a Debian KVM host with ifupdown, udev and libvirt (with a hook of its own):
 * install, a second run "unchanged", --check (udev and .link files are not credited in a namespace
 * other than the host's: udev never sees its devices; with an agent unit running in the namespace
 * there are no gaps), a deleted file → a gap and exit 1, and uninstall leaves the root exactly as it was.
 */
const skip = skipReason();
const ns = skip ? '' : `${uniquePrefix('pau')}a`;
const roots: (() => void)[] = [];
after(async () => {
  if (ns) await deleteNetns(ns);
  for (const r of roots) r();
});

/** path → mode + content of every file under dir. */
function tree(dir: string, base = dir, out: Record<string, string> = {}): Record<string, string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) tree(p, base, out);
    else out[p.slice(base.length)] = `${(st.mode & 0o777).toString(8)} ${readFileSync(p, 'utf8')}`;
  }
  return out;
}

test('auto: installs the covering set, is idempotent, --check credits what acts in this namespace, uninstall restores the root', {
  skip,
}, async () => {
  await createNetns(ns);
  await ipIn(ns, ['link', 'add', 'olca0', 'type', 'veth', 'peer', 'name', 'olca1']);
  await ipIn(ns, ['link', 'add', 'vmbr0', 'type', 'bridge']);
  const root = tmpDir('pau');
  roots.push(root.remove);
  const r = root.dir;
  for (const d of ['etc/network', 'etc/udev/rules.d', 'etc/libvirt/hooks', 'usr/lib/systemd/network'])
    mkdirSync(join(r, d), { recursive: true });
  writeFileSync(
    join(r, 'etc/network/interfaces'),
    'auto lo\niface lo inet loopback\n\nauto vmbr0\niface vmbr0 inet manual\n\tbridge-ports olca0\n',
  );
  writeFileSync(join(r, 'etc/libvirt/hooks/qemu'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(r, 'etc/libvirt/hooks/qemu'), 0o755);
  writeFileSync(
    join(r, 'usr/lib/systemd/network/99-default.link'),
    '[Match]\nOriginalName=*\n\n[Link]\nNamePolicy=keep kernel database onboard slot path\nMACAddressPolicy=persistent\n',
  );
  const before = tree(r);

  const before0 = await cliIn(ns, ['persist', '--check', '--root', r]);
  assert.equal(before0.code, 1, 'nothing installed yet: gaps');

  const dry = await cliIn(ns, ['persist', '--target', 'auto', '--root', r, '--dry-run', '--json']);
  assert.equal(dry.code, 0, dry.stderr);
  const planned = JSON.parse(dry.stdout) as {
    targets: { target: string; rendered: { path: string; content?: string }[] }[];
  };
  assert.ok(planned.targets.find((t) => t.target === 'ifupdown')!.rendered[0]!.content!.includes('offload-tso off'));
  assert.deepEqual(tree(r), before, '--dry-run writes nothing');

  const a = await cliIn(ns, ['persist', '--target', 'auto', '--root', r, '--json']);
  assert.equal(a.code, 0, a.stderr);
  const out = JSON.parse(a.stdout) as { targets: { target: string; status: string }[]; auto: { reasons: string[] } };
  assert.deepEqual(out.targets.map((t) => t.target).sort(), ['ifupdown', 'libvirt-hook', 'systemd-link', 'udev']);
  assert.ok(out.auto.reasons.includes('vmbr0: ifupdown (it has a stanza in /etc/network/interfaces)'));
  assert.ok(out.targets.every((t) => t.status === 'changed'));

  const b = await cliIn(ns, ['persist', '--target', 'auto', '--root', r, '--json']);
  assert.equal(b.code, 0, b.stderr);
  assert.ok(
    (JSON.parse(b.stdout) as typeof out).targets.every((t) => t.status === 'unchanged'),
    b.stdout,
  );

  const c = await cliIn(ns, ['persist', '--check', '--root', r]);
  assert.equal(c.code, 1, c.stdout + c.stderr);
  assert.match(c.stdout, /^vmbr0\s+bridge\s+ifupdown\s+-\s+set once\s+ok$/m);
  // udev (and the .link files it applies) act in the host's namespace only: not credited here.
  assert.match(c.stdout, /^olca1\s+\S+\s+-\s+-\s+-\s+nothing re-applies the policy at boot$/m);
  assert.match(c.stdout, /^note: udev: not credited here/m);
  assert.match(c.stdout, /^note: systemd-link: not credited here/m);
  assert.match(c.stdout, /^vnet\*\s+future VM ports: libvirt \(vnetN\)\s+-\s+libvirt-hook\s+set once\s+ok$/m);
  // libvirt's hook never runs for a Proxmox VM's or a Xen domain's ports.
  assert.match(
    c.stdout,
    /^tap\*i\*\s+future VM ports: Proxmox.*-\s+-\s+-\s+nothing applies the policy when a VM starts$/m,
  );
  assert.match(
    c.stdout,
    /^vif\*\.\*\s+future VM ports: Xen.*-\s+-\s+-\s+nothing applies the policy when a VM starts$/m,
  );

  // An agent unit enforcing the policy in this namespace covers everything, and keeps it.
  const unitPath = join(r, 'etc/systemd/system/offloadctl-agent.service');
  mkdirSync(join(r, 'etc/systemd/system'), { recursive: true });
  writeFileSync(
    unitPath,
    `[Service]\nExecStart=/usr/bin/offloadctl --netns ${ns} agent --mode enforce --state-dir /var/lib/offloadctl\n`,
  );
  const k = await cliIn(ns, ['persist', '--check', '--root', r, '--json']);
  assert.equal(k.code, 0, k.stdout + k.stderr);
  const kept = JSON.parse(k.stdout) as { gaps: number; rows: { holds: string }[] };
  assert.equal(kept.gaps, 0);
  assert.ok(kept.rows.every((x) => x.holds === 'kept'));
  rmSync(join(r, 'etc/systemd'), { recursive: true });

  // A mechanism that lost its file no longer counts: a gap, exit 1.
  writeFileSync(join(r, 'etc/udev/rules.d/90-offloadctl-vm-ports.rules'), '# emptied by someone\n');
  const d = await cliIn(ns, ['persist', '--check', '--root', r, '--target', 'udev']);
  assert.equal(d.code, 1);
  assert.match(
    d.stdout,
    /problem: udev: \/etc\/udev\/rules.d\/90-offloadctl-vm-ports.rules was changed since it was installed/,
  );

  const u = await cliIn(ns, ['persist', '--target', 'auto', '--root', r, '--uninstall']);
  assert.equal(u.code, 1, 'the hand-edited rule is left in place: exit 1 with a warning');
  assert.match(u.stdout, /warning: \/etc\/udev\/rules.d\/90-offloadctl-vm-ports.rules was edited by hand/);
  const after = tree(r);
  delete after['/etc/udev/rules.d/90-offloadctl-vm-ports.rules'];
  assert.deepEqual(after, before, 'everything else is exactly as before');
});
