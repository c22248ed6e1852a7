import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FeatureMap, LinkInfo } from '../../../src/model/types.js';
import { loadProfile } from '../../../src/policy/lazy.js';
import { buildRows, rowKey, UiTables, type AgentView } from '../../../src/ui/server/ui-data.js';
import { decode, matrixCell } from '../../../src/ui/shared/matrix-cell.js';
import { feats, link } from '../agent/fixtures.js';

function view(
  links: LinkInfo[],
  features: Map<number, FeatureMap>,
  states: Record<number, { state: string; finding: string | null }> = {},
): AgentView {
  return {
    links: new Map(links.map((l) => [l.ifindex, l])),
    features,
    tracked: (i) => states[i],
    policy: () => loadProfile('tso-gso-off'),
    mode: () => 'enforce',
    ready: () => true,
    backend: 'netlink',
  };
}

const lab = () => {
  const links = [
    link(2, 'br0', 'bridge'),
    link(3, 'vnet0', 'tun', { masterIndex: 2, slaveKind: 'bridge' }),
    link(4, 'tap100i0', 'tun', { masterIndex: 2, slaveKind: 'bridge' }),
    link(5, 've0', 'veth'),
  ];
  const features = new Map<number, FeatureMap>([
    [
      2,
      feats({
        'tx-tcp-segmentation': { active: false, requested: false },
        'tx-generic-segmentation': { active: false, requested: false },
        'tx-tcp6-segmentation': { active: false, requested: false },
      }),
    ],
    // a tap: requested off as wanted, but QEMU's TUNSETOFFLOAD keeps TSO on... and checksum requested on, active off
    [
      3,
      feats({
        'tx-tcp-segmentation': { active: true, requested: false },
        'tx-generic-segmentation': { active: false, requested: false },
        'tx-tcp6-segmentation': { active: false, requested: false },
        'tx-checksum-ip-generic': { active: false, requested: true },
      }),
    ],
    [
      4,
      feats({
        'tx-tcp-segmentation': { active: false, requested: false },
        'tx-generic-segmentation': { active: false, requested: false },
        'tx-tcp6-segmentation': { active: false, requested: false },
      }),
    ],
    // drift: GSO back on
    [
      5,
      feats({
        'tx-tcp-segmentation': { active: false, requested: false },
        'tx-tcp6-segmentation': { active: false, requested: false },
        'rx-gro': { active: true, requested: true, fixed: true },
      }),
    ],
  ]);
  return { links, features };
};

test('rows: roles, masters and VMs as status classifies them; wants and rules interned', () => {
  const { links, features } = lab();
  const t = new UiTables();
  const rows = buildRows(view(links, features, { 5: { state: 'non-compliant', finding: 'drift' } }), t);
  assert.deepEqual(
    rows.map((r) => [r.name, r.role, r.master]),
    [
      ['br0', 'bridge', null],
      ['vnet0', 'vm-port', 'br0'],
      ['tap100i0', 'vm-port', 'br0'],
      ['ve0', 'veth', null],
    ],
  );
  assert.deepEqual(rows[2]!.vm, { platform: 'proxmox', id: '100', name: null, nic: 'net0' });
  assert.equal(rows[3]!.state, 'non-compliant');
  assert.equal(rows[3]!.finding, 'drift');
  assert.equal(rows[0]!.state, 'pending', 'no agent state yet: pending');
  // every row wants the same (tso-gso-off on all): one interned want, one rule
  assert.equal(new Set(rows.map((r) => r.want)).size, 1);
  assert.deepEqual(t.rules, ['tso-gso-off']);
  assert.deepEqual(t.wants[0]!['tx-generic-segmentation'], [0, 0]);
  // codes decode back to the kernel's states
  const i = t.features.indexOf('rx-gro');
  assert.deepEqual(decode(rows[3]!.codes[i]!), { active: true, requested: true, fixed: true });
  assert.equal(rows[3]!.codes.length, t.features.length);
});

test('rows for some ifindexes: a port keeps its role (its master is looked at) and the master is not returned', () => {
  const { links, features } = lab();
  const rows = buildRows(view(links, features), new UiTables(), [3]);
  assert.deepEqual(
    rows.map((r) => [r.name, r.role, r.master]),
    [['vnet0', 'vm-port', 'br0']],
  );
});

test('matrix cells: compliance, marks and the rule behind the wanted state', () => {
  const { links, features } = lab();
  const t = new UiTables();
  const rows = buildRows(view(links, features), t);
  const cols = Object.fromEntries(t.columns().map((c) => [c.head, c]));
  const cell = (row: number, head: string) =>
    matrixCell(
      rows[row]!,
      t.features,
      cols[head]!.members,
      rows[row]!.want >= 0 ? t.wants[rows[row]!.want]! : null,
      t.rules,
      head,
    );
  assert.deepEqual(Object.keys(cols), ['TSO', 'GSO', 'GRO', 'LRO', 'SG', 'TX-CSUM', 'RX-CSUM']);
  assert.equal(cols.TSO!.ethtool, 'tcp-segmentation-offload');
  // compliant bridge
  const gso = cell(0, 'GSO');
  assert.equal(gso.compliance, 'ok');
  assert.equal(gso.active, false);
  assert.match(gso.title, /GSO wanted off by tso-gso-off: tx-generic-segmentation/);
  // the tap's TSO: requested off as wanted, active on: the guest's negotiation
  const tso = cell(1, 'TSO');
  assert.equal(tso.compliance, 'guest');
  assert.equal(tso.text, 'on 1/2');
  assert.deepEqual(tso.marks, ['guest (req off)']);
  assert.match(tso.title, /held by the guest's negotiation/);
  // requested ≠ active on a column the policy does not want: marked, not coloured
  const csum = cell(1, 'TX-CSUM');
  assert.equal(csum.compliance, 'none');
  assert.deepEqual(csum.marks, ['guest (req on)']);
  // the drifted veth: GSO deviates
  assert.equal(cell(3, 'GSO').compliance, 'bad');
  // fixed, unmanaged
  assert.deepEqual(cell(3, 'GRO').marks, ['fixed']);
  // a column whose features the kernel does not report
  assert.equal(cell(3, 'LRO').compliance, 'absent');
  assert.equal(cell(3, 'LRO').active, null);
});

test('row keys change with what the page shows and only then', () => {
  const { links, features } = lab();
  const t = new UiTables();
  const a = buildRows(view(links, features), t);
  const b = buildRows(view(links, features), t);
  assert.deepEqual(a.map(rowKey), b.map(rowKey));
  features.set(5, feats({ 'tx-generic-segmentation': { active: false, requested: false } }));
  const c = buildRows(view(links, features), t);
  assert.notEqual(rowKey(c[3]!), rowKey(a[3]!));
  assert.equal(rowKey(c[0]!), rowKey(a[0]!));
});
