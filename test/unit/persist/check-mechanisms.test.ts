import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCoverage } from '../../../src/persist/check.js';
import { parseAgentUnit } from '../../../src/persist/agent-unit.js';
import { check } from '../../../src/persist/persist.js';
import { memoryRoot } from '../../../src/persist/root.js';
import { render } from '../../../src/persist/render/index.js';
import { vmPortSchemes } from '../../../src/persist/inputs.js';
import { loadPolicy } from '../../../src/policy/index.js';
import type { Interface, Observation } from '../../../src/model/types.js';
import { KNOWN, OPTS, iface } from './fixtures.js';

const policy = loadPolicy({ profile: 'tso-gso-off' });
const realSchemes = () => vmPortSchemes(policy, KNOWN);
const vm = (platform: 'libvirt' | 'proxmox' | 'xen', id = '1') => ({ platform, id, name: null, nic: '0' });

test('libvirt hook: credited for libvirt ports only (vnetN, macvtapN, taps an XML names), never Xen vifs or Proxmox taps', () => {
  const schemes = realSchemes();
  const hook = render('libvirt-hook', { interfaces: [], vmSchemes: schemes, root: memoryRoot({}), options: OPTS });
  const ifs = [
    iface('vnet0', { role: 'vm-port', kind: 'tun', vm: vm('libvirt') }),
    iface('tap100i0', { role: 'vm-port', kind: 'tun', vm: vm('proxmox', '100') }),
    iface('vif3.0', { role: 'vm-port', kind: null, vm: vm('xen', '3') }),
  ];
  const r = checkCoverage(ifs, schemes, [{ target: 'libvirt-hook', coverage: hook.coverage, problems: [] }]);
  const row = (n: string) => r.rows.find((x) => x.interface === n)!;
  assert.deepEqual(row('vnet0').vmStart, ['libvirt-hook']);
  assert.deepEqual(row('vnet0').gaps, []);
  assert.deepEqual(row('vnet*').vmStart, ['libvirt-hook']);
  assert.deepEqual(row('macvtap*').vmStart, ['libvirt-hook']);
  assert.deepEqual(row('kind:tun').vmStart, ['libvirt-hook'], 'a tap named by the domain XML');
  for (const n of ['tap100i0', 'vif3.0', 'tap*i*', 'vif*.*', 'tap????????-??', 'fwbr*i*', 'veth*i*']) {
    assert.deepEqual(row(n).vmStart, [], n);
    assert.deepEqual(row(n).gaps, ['nothing applies the policy when a VM starts'], n);
  }
});

test('udev: credited in the host network namespace only, not under --netns', () => {
  const schemes = realSchemes();
  const udev = render('udev', { interfaces: [], vmSchemes: schemes, root: memoryRoot({}), options: OPTS });
  const ifs = [iface('vnet0', { role: 'vm-port', kind: 'tun', vm: vm('libvirt') })];
  const installed = [{ target: 'udev' as const, coverage: udev.coverage, problems: [] }];
  const host = checkCoverage(ifs, schemes, installed, { host: true, netns: null });
  assert.equal(host.gaps, 0, JSON.stringify(host.rows.filter((x) => x.gaps.length)));
  const other = checkCoverage(ifs, schemes, installed, { host: false, netns: 'lab1' });
  assert.ok(other.rows.every((x) => x.vmStart.length === 0 && x.gaps.length === 1));
  assert.ok(other.notes.some((n) => n.startsWith('udev: not credited here') && n.includes('lab1')));
  assert.deepEqual(other.mechanisms, [{ target: 'udev', holds: 'set-once', credited: false }]);
});

test('holds: udev and the hook set a tap once; the agent keeps it', () => {
  const schemes = realSchemes();
  const input = { interfaces: [], vmSchemes: schemes, root: memoryRoot({}), options: OPTS };
  const installed = [
    { target: 'udev' as const, coverage: render('udev', input).coverage, problems: [] },
    { target: 'libvirt-hook' as const, coverage: render('libvirt-hook', input).coverage, problems: [] },
  ];
  const once = checkCoverage([], schemes, installed);
  assert.equal(once.rows.find((x) => x.interface === 'vnet*')!.holds, 'set-once');
  const agent = {
    path: '/etc/systemd/system/offloadctl-agent.service',
    mode: 'enforce' as const,
    samePolicy: true,
    netns: null,
  };
  const kept = checkCoverage([], schemes, installed, { host: true, netns: null }, agent);
  assert.ok(
    kept.rows.every((x) => x.holds === 'kept'),
    JSON.stringify(kept.rows.map((x) => [x.interface, x.holds])),
  );
  assert.deepEqual(
    kept.mechanisms.map((m) => [m.target, m.holds]),
    [
      ['udev', 'set-once'],
      ['libvirt-hook', 'set-once'],
      ['agent', 'kept'],
    ],
  );
});

function host(): Observation {
  const features = Object.fromEntries(KNOWN.map((k) => [k, { active: true, requested: true, fixed: false }]));
  const mk = (
    ifindex: number,
    name: string,
    role: Interface['role'],
    kind: string | null,
    master: string | null = null,
  ): Interface => ({
    ifindex,
    name,
    kind,
    role,
    master,
    driver: null,
    mtu: 1500,
    operstate: 'UP',
    vm: null,
    features,
  });
  return {
    takenAt: '',
    backend: 'netlink',
    interfaces: [
      mk(1, 'lo', 'loopback', null),
      mk(2, 'br0', 'bridge', 'bridge'),
      mk(3, 'uplink0', 'veth', 'veth', 'br0'),
      mk(4, 'vnet0', 'vm-port', 'tun', 'br0'),
      mk(5, 'tap100i0', 'vm-port', 'tun', 'br0'),
    ],
  };
}

test('the agent unit alone (deploy/systemd/offloadctl-agent.service) covers everything it enforces: no gaps', () => {
  const root = mkdtempSync(join(tmpdir(), 'olc-agentcheck-'));
  try {
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    const unit = readFileSync(new URL('../../../deploy/systemd/offloadctl-agent.service', import.meta.url), 'utf8');
    writeFileSync(join(root, 'etc/systemd/system/offloadctl-agent.service'), unit);
    const ctx = { policy, observation: host(), links: [], featureNames: KNOWN, root };
    const r = check(ctx, undefined, { host: true, netns: null });
    assert.equal(r.gaps, 0, JSON.stringify(r.rows.filter((x) => x.gaps.length)));
    assert.ok(r.rows.length > 10);
    assert.ok(r.rows.every((x) => x.holds === 'kept'));
    // The same unit does not reach another namespace; one started with --netns NS does.
    assert.ok(check(ctx, undefined, { host: false, netns: 'lab1' }).gaps > 0);
    writeFileSync(
      join(root, 'etc/systemd/system/offloadctl-agent.service'),
      unit.replace('/usr/bin/offloadctl agent', '/usr/bin/offloadctl --netns lab1 agent'),
    );
    assert.equal(check(ctx, undefined, { host: false, netns: 'lab1' }).gaps, 0);
    // Report mode changes nothing; another policy is not this one.
    writeFileSync(
      join(root, 'etc/systemd/system/offloadctl-agent.service'),
      unit.replace('--mode enforce', '--mode report'),
    );
    const rep = check(ctx, undefined, { host: true, netns: null });
    assert.ok(rep.gaps > 0 && rep.notes.some((n) => n.includes('report mode')));
    writeFileSync(
      join(root, 'etc/systemd/system/offloadctl-agent.service'),
      unit.replace('--mode enforce', '--profile offloads-on --mode enforce'),
    );
    assert.ok(check(ctx, undefined, { host: true, netns: null }).notes.some((n) => n.includes('another policy')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('parseAgentUnit: ExecStart words, systemd prefixes and quoting, --netns before agent', () => {
  const u = parseAgentUnit(
    '/u',
    '[Service]\nExecStart=-/usr/bin/offloadctl --netns "lab 1" agent --policy "/etc/off loadctl/p.yaml" --mode=report\n',
  );
  assert.deepEqual(u, {
    path: '/u',
    mode: 'report',
    policyFile: '/etc/off loadctl/p.yaml',
    profile: null,
    netns: 'lab 1',
  });
  assert.equal(parseAgentUnit('/u', '[Service]\nExecStart=/usr/bin/offloadctl status\n'), null);
  assert.equal(parseAgentUnit('/u', '[Unit]\nDescription=x\n'), null);
});
