import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCoverage } from '../../../src/persist/check.js';
import { chooseTargets } from '../../../src/persist/detect.js';
import { memoryRoot } from '../../../src/persist/root.js';
import { render } from '../../../src/persist/render/index.js';
import { vmPortSchemes, selectedInterfaces, bootInterfaces } from '../../../src/persist/inputs.js';
import { loadPolicy } from '../../../src/policy/index.js';
import type { Interface, Observation, Policy } from '../../../src/model/types.js';
import { OPTS, iface, schemes, tsoGsoOff } from './fixtures.js';

test('check: nothing installed → every interface and VM-port scheme is a gap', () => {
  const r = checkCoverage(
    [iface('br0', { role: 'bridge' }), iface('vnet0', { role: 'vm-port', kind: 'tun' })],
    schemes(),
    [],
  );
  assert.equal(r.rows.length, 2 + 4);
  assert.ok(r.rows.every((x) => x.gaps.length === 1));
  assert.equal(r.rows.find((x) => x.interface === 'br0')!.gaps[0], 'nothing re-applies the policy at boot');
  assert.equal(r.rows.find((x) => x.interface === 'vnet0')!.gaps[0], 'nothing applies the policy when a VM starts');
});

test('check: systemd-link + udev cover boot and VM start; the accecn caveat is named', () => {
  const ifs = [iface('br0', { role: 'bridge', kind: 'bridge' }), iface('vnet0', { role: 'vm-port', kind: 'tun' })];
  const input = { interfaces: bootInterfaces(ifs), vmSchemes: schemes(), root: memoryRoot({}), options: OPTS };
  const link = render('systemd-link', input);
  const udev = render('udev', input);
  const r = checkCoverage(ifs, schemes(), [
    { target: 'systemd-link', coverage: link.coverage, problems: [] },
    { target: 'udev', coverage: udev.coverage, problems: [] },
  ]);
  assert.equal(r.gaps, 0, JSON.stringify(r.rows));
  const br0 = r.rows.find((x) => x.interface === 'br0')!;
  assert.deepEqual(br0.boot, ['systemd-link']);
  assert.ok(br0.caveats.some((c) => c.includes('tx-tcp-accecn-segmentation')));
  assert.deepEqual(r.rows.find((x) => x.interface === 'vnet0')!.vmStart, ['udev']);
});

test('check: netplan alone leaves accecn unset (a named feature gap); a changed file is a problem', () => {
  const nic = iface('eno1', { physical: true, mac: 'aa:bb:cc:dd:ee:ff', role: 'uplink' });
  const root = memoryRoot({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    eno1: {dhcp4: true}\n' });
  const np = render('netplan', { interfaces: [nic], vmSchemes: [], root, options: OPTS });
  const r = checkCoverage([nic], [], [{ target: 'netplan', coverage: np.coverage, problems: [] }]);
  assert.deepEqual(r.rows[0]!.gaps, ['not set by any installed mechanism: tx-tcp-accecn-segmentation']);
  const bad = checkCoverage(
    [nic],
    [],
    [{ target: 'netplan', coverage: np.coverage, problems: ['/etc/netplan/90-offloadctl.yaml is missing'] }],
  );
  assert.equal(bad.rows[0]!.gaps[0], 'nothing re-applies the policy at boot');
  assert.equal(bad.problems.length, 1);
});

test('auto: netplan NICs → netplan, ifupdown stanzas → ifupdown, the rest → systemd-link; VM ports → udev + libvirt hook', () => {
  const root = memoryRoot({
    '/etc/udev/udev.conf': '',
    '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    eno1: {dhcp4: true}\n',
    '/etc/network/interfaces': 'auto vmbr0\niface vmbr0 inet manual\n',
    '/etc/libvirt/qemu.conf': '',
  });
  const c = chooseTargets(root, [iface('eno1', { physical: true }), iface('vmbr0'), iface('br-int')]);
  assert.deepEqual(
    [...c.boot.entries()].map(([t, i]) => [t, i.map((x) => x.name)]),
    [
      ['netplan', ['eno1']],
      ['ifupdown', ['vmbr0']],
      ['systemd-link', ['br-int']],
    ],
  );
  assert.deepEqual(c.vmStart, ['udev', 'libvirt-hook']);
  const bare = chooseTargets(memoryRoot({}), [iface('eth0')]);
  assert.deepEqual(bare.uncovered, ['eth0']);
});

function ifc(name: string, role: Interface['role'], kind: string | null, over: Partial<Interface> = {}): Interface {
  const features = Object.fromEntries(
    Object.keys(tsoGsoOff())
      .concat(['rx-gro'])
      .map((k) => [k, { active: true, requested: true, fixed: false }]),
  );
  return {
    ifindex: name.length,
    name,
    kind,
    role,
    master: null,
    driver: null,
    mtu: 1500,
    operstate: 'UP',
    vm: null,
    features,
    ...over,
  };
}

test('inputs: the policy resolved per interface (fixed bits left out) and per VM-port scheme', () => {
  const policy = loadPolicy({ profile: 'tso-gso-off' });
  const lo = ifc('lo', 'loopback', null);
  const br = ifc('br0', 'bridge', 'bridge', { ifindex: 2 });
  br.features['tx-tcp6-segmentation'] = { active: false, requested: false, fixed: true };
  const obs: Observation = {
    takenAt: '',
    backend: 'netlink',
    interfaces: [lo, br, ifc('vnet0', 'vm-port', 'tun', { ifindex: 3 })],
  };
  const sel = selectedInterfaces(policy, obs, []);
  assert.deepEqual(
    sel.map((i) => i.name),
    ['br0', 'vnet0'],
  );
  assert.ok(!('tx-tcp6-segmentation' in sel[0]!.desired));
  assert.deepEqual(
    bootInterfaces(sel).map((i) => i.name),
    ['br0'],
  );
  const s = vmPortSchemes(policy, Object.keys(tsoGsoOff()));
  assert.deepEqual(
    s.map((x) => x.glob),
    [
      'vnet*',
      'tap*i*',
      'tap????????-??',
      'vif*.*',
      'macvtap*',
      'veth*i*',
      'fwbr*i*',
      'fwpr*p*',
      'fwln*i*',
      'qbr*',
      'qv[bo]*',
      null,
    ],
  );
  assert.deepEqual(
    s.filter((x) => x.tun).map((x) => x.glob),
    ['vnet*', 'tap*i*', 'tap????????-??', null],
  );
  assert.ok(s.every((x) => x.desired['tx-generic-segmentation'] === false));
});

test('check: a changed .link file voids only the interface it covers', () => {
  const ifs = [iface('br0', { kind: 'bridge', role: 'bridge' }), iface('br1', { kind: 'bridge', role: 'bridge' })];
  const link = render('systemd-link', { interfaces: ifs, vmSchemes: [], root: memoryRoot({}), options: OPTS });
  const bad = '/etc/systemd/network/00-offloadctl-br1.link';
  const r = checkCoverage(
    ifs,
    [],
    [{ target: 'systemd-link', coverage: link.coverage, problems: [`${bad} was changed`], badFiles: [bad] }],
  );
  assert.deepEqual(
    r.rows.map((x) => [x.interface, x.gaps]),
    [
      ['br0', []],
      ['br1', ['nothing re-applies the policy at boot']],
    ],
  );
  assert.equal(r.gaps, 2, 'the gap and the problem');
  const rest = '/etc/udev/rules.d/90-offloadctl-link-rest.rules';
  const r2 = checkCoverage(
    ifs,
    [],
    [{ target: 'systemd-link', coverage: link.coverage, problems: ['x'], badFiles: [rest] }],
  );
  assert.ok(
    r2.rows.every((x) => x.gaps.length === 1),
    'the shared companion rule voids both',
  );
});

test('inputs: a policy rule naming VM ports its own way gets a scheme of its own', () => {
  const policy: Policy = {
    name: 'p',
    source: 'test',
    rules: [
      { select: {}, features: { gso: 'off' } },
      {
        name: 'cloud taps',
        select: { role: ['vm-port'], name: ['ctap*', 'vnet*', '{a,b}*'] },
        features: { tso: 'off' },
      },
      { select: { name: ['eth*'] }, features: { gro: 'off' } },
    ],
  };
  const s = vmPortSchemes(policy, Object.keys(tsoGsoOff()).concat('rx-gro'));
  const own = s.find((x) => x.glob === 'ctap*')!;
  assert.equal(own.label, 'policy rule "cloud taps" (ctap*)');
  assert.equal(own.desired['tx-tcp-segmentation'], false);
  assert.equal(own.desired['tx-generic-segmentation'], false);
  assert.ok(!s.some((x) => x.glob === 'eth*'), 'a rule not about VM ports adds no scheme');
  assert.ok(!s.some((x) => x.glob === '{a,b}*'), 'globs udev cannot read are left out');
  assert.equal(s[s.length - 1]!.glob, null, 'the generic tun/tap scheme stays last');
});
