import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { memoryRoot } from '../../../src/persist/root.js';
import { render } from '../../../src/persist/render/index.js';
import { parseIni, iniValues } from '../../../src/persist/ini.js';
import { editDomainXml } from '../../../src/persist/render/libvirt-xml.js';
import type { RenderInput } from '../../../src/persist/types.js';
import { DEFAULT_LINK, OPTS, PLAIN, iface, schemes } from './fixtures.js';

const input = (over: Partial<RenderInput> = {}): RenderInput => ({
  interfaces: [],
  vmSchemes: schemes(),
  root: memoryRoot({}),
  options: OPTS,
  ...over,
});

test('systemd-link: sorts first, shadows 99-default.link and keeps its naming keys', () => {
  const r = render(
    'systemd-link',
    input({
      interfaces: [
        iface('vmbr0', { kind: 'bridge', role: 'bridge' }),
        iface('enp1s0', { physical: true, mac: 'aa:bb:cc:00:11:22', role: 'uplink' }),
      ],
      root: memoryRoot({
        '/usr/lib/systemd/network/99-default.link': DEFAULT_LINK,
        '/usr/lib/systemd/network/73-usb-net-by-mac.link': '[Match]\nProperty=ID_BUS=usb\n[Link]\nNamePolicy=mac\n',
      }),
    }),
  );
  const br = r.files.find((f) => f.path === '/etc/systemd/network/00-offloadctl-vmbr0.link')!;
  const ini = parseIni(br.content);
  assert.deepEqual(iniValues(ini, 'Match', 'OriginalName'), ['vmbr0']);
  assert.deepEqual(iniValues(ini, 'Match', 'Kind'), ['bridge']);
  assert.deepEqual(iniValues(ini, 'Link', 'NamePolicy'), ['keep kernel database onboard slot path']);
  assert.deepEqual(iniValues(ini, 'Link', 'TCPSegmentationOffload'), ['false']);
  assert.deepEqual(iniValues(ini, 'Link', 'GenericSegmentationOffload'), ['false']);
  const nic = parseIni(r.files.find((f) => f.path.endsWith('00-offloadctl-enp1s0.link'))!.content);
  assert.deepEqual(iniValues(nic, 'Match', 'MACAddress'), ['aa:bb:cc:00:11:22'], 'physical NICs match by MAC');
  assert.deepEqual(iniValues(nic, 'Link', 'MACAddressPolicy'), ['persistent'], 'a NIC keeps its naming/MAC policy too');
  assert.ok(r.notes.some((n) => n.includes('shadows') && n.includes('99-default.link')));
  // 73-usb-net-by-mac (Property=) may match: reported as shadowed as well, conservatively.
  const rest = r.files.find((f) => f.path.endsWith('90-offloadctl-link-rest.rules'))!;
  assert.match(
    rest.content,
    /KERNEL=="vmbr0", RUN\+="\/sbin\/ethtool -K \$kernel tx-tcp-accecn-segmentation off tx-tcp-ecn-segmentation off tx-tcp-mangleid-segmentation off"/,
  );
  assert.match(rest.content, /ATTR\{address\}=="aa:bb:cc:00:11:22"/);
  assert.ok(r.coverage.every((c) => c.caveats?.some((x) => x.includes('tx-tcp-accecn-segmentation'))));
});

test('systemd-link: a matching file that sorts earlier is reported (ours would not apply)', () => {
  const r = render(
    'systemd-link',
    input({
      interfaces: [iface('br0', { kind: 'bridge' })],
      root: memoryRoot({ '/etc/systemd/network/00-aaa.link': '[Match]\nOriginalName=br*\n[Link]\nMTUBytes=9000\n' }),
    }),
  );
  assert.ok(r.notes.some((n) => n.includes('00-aaa.link sorts before')));
  assert.deepEqual(r.coverage[0]!.uncovered.length > 0, true);
});

test('netplan: physical NICs netplan already configures, under their own ID; mode 600', () => {
  const r = render(
    'netplan',
    input({
      interfaces: [
        iface('eno1', { physical: true, mac: 'aa:bb:cc:00:00:01' }),
        iface('eno2', { physical: true, mac: 'aa:bb:cc:00:00:02' }),
        iface('vmbr0', { kind: 'bridge' }),
      ],
      root: memoryRoot({
        '/etc/netplan/50-cloud-init.yaml': 'network:\n  version: 2\n  ethernets:\n    eno1:\n      dhcp4: true\n',
      }),
    }),
  );
  assert.equal(r.files.length, 1);
  assert.equal(r.files[0]!.mode, 0o600);
  const doc = parseYaml(r.files[0]!.content) as { network: { ethernets: Record<string, Record<string, unknown>> } };
  assert.deepEqual(doc.network.ethernets.eno1, {
    'tcp-segmentation-offload': false,
    'tcp6-segmentation-offload': false,
    'generic-segmentation-offload': false,
  });
  assert.ok(!('eno2' in doc.network.ethernets), 'a NIC netplan does not configure is not handed to it');
  assert.ok(r.notes.some((n) => n.startsWith('eno2: netplan does not configure it')));
  assert.ok(!('vmbr0' in doc.network.ethernets));
  assert.ok(r.notes.some((n) => n.includes('physical NICs')));
});

test('networkmanager: adds [ethtool] keys to the bound profile, gives nmcli modify + reapply', () => {
  const keyfile = '[connection]\nid=Wired 1\nuuid=1111\ntype=ethernet\ninterface-name=enp2s0\n\n[ipv4]\nmethod=auto\n';
  const r = render(
    'networkmanager',
    input({
      interfaces: [
        iface('enp2s0', { physical: true }),
        iface('br9'),
        iface('enp3s0', { physical: true, mac: 'aa:bb:cc:dd:ee:03' }),
      ],
      root: memoryRoot({
        '/etc/NetworkManager/system-connections/Wired 1.nmconnection': keyfile,
        '/etc/NetworkManager/system-connections/by-mac.nmconnection':
          '[connection]\nid=by-mac\ntype=ethernet\n\n[ethernet]\nmac-address=AA:BB:CC:DD:EE:03\n',
      }),
    }),
  );
  assert.ok(
    r.files.some((f) => f.path.endsWith('by-mac.nmconnection')),
    'a profile bound by MAC is found too',
  );
  const ini = parseIni(r.files.find((f) => f.path.endsWith('Wired 1.nmconnection'))!.content); // strict: throws on anything NM's keyfile parser would not take
  assert.deepEqual(iniValues(ini, 'ethtool', 'feature-tso'), ['false']);
  assert.deepEqual(iniValues(ini, 'ethtool', 'feature-gso'), ['false']);
  assert.deepEqual(iniValues(ini, 'ipv4', 'method'), ['auto']);
  assert.equal(r.files[0]!.mode, 0o600);
  assert.ok(
    r.commands.some((c) => c === "nmcli connection modify 'Wired 1' ethtool.feature-tso off ethtool.feature-gso off"),
  );
  assert.ok(r.commands.includes('nmcli device reapply enp2s0'));
  assert.ok(r.notes.some((n) => n.startsWith('br9: no NetworkManager profile')));
  assert.ok(r.commands.includes('nmcli device reapply enp3s0'));
  assert.deepEqual(r.coverage[0]!.uncovered, ['tx-tcp-accecn-segmentation']);
  // Fixed point: rendering over the rendered file gives the same file.
  const again = render(
    'networkmanager',
    input({
      interfaces: [iface('enp2s0', { physical: true })],
      root: memoryRoot({ '/etc/NetworkManager/system-connections/Wired 1.nmconnection': r.files[0]!.content }),
    }),
  );
  assert.equal(again.files[0]!.content.replace(/^#.*\n/, ''), r.files[0]!.content.replace(/^#.*\n/, ''));
});

test('ifupdown: offload-* and post-up lines inside existing stanzas; a second render is identical', () => {
  const text =
    'auto lo\niface lo inet loopback\n\nauto vmbr0\niface vmbr0 inet static\n\taddress 10.0.0.1/24\n\tbridge-ports eno1\n';
  const r = render(
    'ifupdown',
    input({ interfaces: [iface('vmbr0'), iface('eno9')], root: memoryRoot({ '/etc/network/interfaces': text }) }),
  );
  const out = r.files[0]!.content;
  assert.match(
    out,
    /iface vmbr0 inet static\n\t# offloadctl:persist begin.*\n\toffload-tso off\n\toffload-gso off\n\tpost-up \/sbin\/ethtool -K vmbr0 tso off gso off \|\| true\n\t# offloadctl:persist end\n\taddress 10.0.0.1\/24/,
  );
  assert.ok(r.notes.some((n) => n.startsWith('eno9: no ifupdown stanza')));
  const again = render(
    'ifupdown',
    input({ interfaces: [iface('vmbr0')], root: memoryRoot({ '/etc/network/interfaces': out }) }),
  );
  assert.equal(again.files[0]!.content, out);
});

test('ifupdown on Proxmox: post-up only (ifupdown2 does not run the ethtool hook)', () => {
  const r = render(
    'ifupdown',
    input({
      interfaces: [iface('vmbr0')],
      root: memoryRoot({
        '/etc/network/interfaces': 'auto vmbr0\niface vmbr0 inet manual\n',
        '/etc/pve/.version': '1',
      }),
    }),
  );
  assert.doesNotMatch(r.files[0]!.content, /offload-tso/);
  assert.match(r.files[0]!.content, /post-up \/sbin\/ethtool -K vmbr0 tso off gso off/);
});

test('udev: one rule per VM naming scheme + any tun/tap; offloadctl or plain ethtool', () => {
  const a = render('udev', input());
  const rules = a.files[0]!.content;
  assert.match(rules, /^ACTION!="add", GOTO="offloadctl_end"$/m);
  assert.match(
    rules,
    /^KERNEL=="vnet\*", RUN\+="\/usr\/local\/bin\/offloadctl apply --interface \$kernel --policy \/etc\/offloadctl\/policy.yaml --yes --syslog", GOTO="offloadctl_end"$/m,
  );
  assert.match(rules, /^ATTR\{tun_flags\}=="\?\*", RUN\+=/m);
  const b = render('udev', input({ options: PLAIN }));
  assert.match(
    b.files[0]!.content,
    /^KERNEL=="vif\*\.\*", RUN\+="\/sbin\/ethtool -K \$kernel sg off tso off gso off"/m,
  );
  assert.ok(a.coverage.find((c) => c.match === 'vnet*')!.caveats![0]!.includes('TUNSETOFFLOAD'));
  assert.equal(a.coverage.find((c) => c.match === 'vif*.*')!.caveats, undefined, 'a Xen vif is not a tap');
});

test('udev: refuses a boot-path word with spaces', () => {
  assert.throws(
    () => render('udev', input({ options: { ...OPTS, offloadctlPath: '/opt/my tools/offloadctl' } })),
    /cannot be written/,
  );
});

test('libvirt-hook: an existing hook is moved aside and chained; no virsh in the hook', () => {
  const r = render(
    'libvirt-hook',
    input({ root: memoryRoot({ '/etc/libvirt/hooks/qemu': '#!/bin/sh\nlogger hi\n' }) }),
  );
  assert.deepEqual(r.moves, [{ from: '/etc/libvirt/hooks/qemu', to: '/etc/libvirt/hooks/qemu.offloadctl-chained' }]);
  const hook = r.files[0]!;
  assert.equal(hook.mode, 0o755);
  assert.match(hook.content, /qemu\.offloadctl-chained "\$@"/);
  assert.doesNotMatch(hook.content.replace(/^#.*$/gm, ''), /virsh/);
  // Re-rendering over our own hook does not move it again.
  const again = render(
    'libvirt-hook',
    input({
      root: memoryRoot({ '/etc/libvirt/hooks/qemu': hook.content, '/etc/libvirt/hooks/qemu.offloadctl-chained': 'x' }),
    }),
  );
  assert.deepEqual(again.moves, []);
  assert.equal(again.files[0]!.content, hook.content);
});

test('libvirt-xml: host and guest driver options on virtio interfaces only', () => {
  const xml = `<domain type='kvm'>
  <name>vm1</name>
  <devices>
    <disk type='file' device='disk'>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <mac address='52:54:00:aa:bb:cc'/>
      <source bridge='br0'/>
      <target dev='vnet3'/>
      <model type='virtio'/>
    </interface>
    <interface type='network'>
      <source network='default'/>
      <model type='e1000'/>
    </interface>
    <interface type='bridge'>
      <source bridge='br0'/>
      <model type='virtio'/>
      <driver name='vhost' queues='4'/>
    </interface>
  </devices>
</domain>
`;
  const r = editDomainXml(xml, schemes()[0]!);
  assert.equal(r.edited, 2);
  assert.equal(r.skipped.length, 1);
  assert.match(
    r.xml,
    /<driver>\n\s+<host gso='off' tso4='off' tso6='off' ecn='off'\/>\n\s+<guest tso4='off' tso6='off' ecn='off'\/>\n\s+<\/driver>\n\s+<\/interface>/,
  );
  assert.match(r.xml, /<driver name='vhost' queues='4'>\n\s+<host gso='off'/);
  assert.match(r.xml, /<model type='e1000'\/>\n {4}<\/interface>/);
  assert.equal(editDomainXml(r.xml, schemes()[0]!).xml, r.xml, 'editing twice changes nothing');
});

test('tuned: physical NICs only, features= in ethtool syntax, includes the active profile', () => {
  const r = render(
    'tuned',
    input({
      interfaces: [iface('eno1', { physical: true }), iface('vmbr0', { kind: 'bridge' })],
      root: memoryRoot({ '/etc/tuned/active_profile': 'virtual-host\n' }),
    }),
  );
  const c = r.files[0]!.content;
  assert.match(c, /include=virtual-host/);
  assert.match(c, /\[net_offloadctl_1\]\ntype=net\ndevices=eno1\nfeatures=tso off gso off\n/);
  assert.ok(r.notes[0]!.includes('skips virtual devices'));
  assert.deepEqual(r.commands, ['tuned-adm profile offloadctl']);
});
