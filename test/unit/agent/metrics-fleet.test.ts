import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentMetrics } from '../../../src/agent/metrics.js';
import { DEFAULT_METRICS_SELECTION, type MetricsSelection } from '../../../src/agent/metrics-selection.js';
import { seriesPer1000 } from '../../../bench/metrics-cardinality.js';

/** Series lines (not comments) of the per-interface metrics in an exposition text. */
function perInterface(text: string): string[] {
  return text.split('\n').filter((l) => /^offloadctl_(interface_compliant|feature_active|feature_compliant)\{/.test(l));
}

const TSO = { feature: 'tx-tcp-segmentation', active: true, want: false };
const ALL = {
  'tx-tcp-segmentation': { active: true },
  'rx-gro': { active: true },
  'tx-scatter-gather': { active: false },
};

function sel(o: Partial<MetricsSelection>): MetricsSelection {
  return { ...DEFAULT_METRICS_SELECTION, ...o };
}

test('metrics: by default only managed interfaces and the features the policy names; a vm label where known', async () => {
  const m = new AgentMetrics({ defaultMetrics: false });
  m.setInterface(5, 'vnet0', 'vm-port', [TSO], false, { vm: 'web1', all: ALL });
  m.setInterface(6, 'eth0', 'uplink', [], null, { all: ALL }); // not managed
  const lines = perInterface(await m.text());
  assert.deepEqual(lines.sort(), [
    'offloadctl_feature_active{interface="vnet0",feature="tx-tcp-segmentation"} 1',
    'offloadctl_feature_compliant{interface="vnet0",feature="tx-tcp-segmentation"} 0',
    'offloadctl_interface_compliant{interface="vnet0",role="vm-port",vm="web1"} 0',
  ]);
});

test('metrics: --metrics-features all exports the full interface × feature matrix', async () => {
  const m = new AgentMetrics({ defaultMetrics: false, selection: sel({ features: 'all' }) });
  m.setInterface(5, 'vnet0', 'vm-port', [TSO], false, { all: ALL });
  m.setInterface(6, 'eth0', 'uplink', [], null, { all: ALL });
  const lines = perInterface(await m.text());
  assert.equal(lines.filter((l) => l.startsWith('offloadctl_feature_active')).length, 6, '3 features × 2 interfaces');
  assert.equal(
    lines.filter((l) => l.startsWith('offloadctl_feature_compliant')).length,
    1,
    'compliance only where the policy wants something',
  );
  assert.equal(
    lines.filter((l) => l.startsWith('offloadctl_interface_compliant')).length,
    1,
    'unmanaged eth0 has no compliance series',
  );
});

test('metrics: include/exclude by interface glob and role (exclude wins)', async () => {
  const m = new AgentMetrics({
    defaultMetrics: false,
    selection: sel({
      includeInterfaces: ['vnet*', 'tap*', 'br*'],
      excludeInterfaces: ['tap9*'],
      excludeRoles: ['bridge'],
    }),
  });
  m.setInterface(1, 'vnet0', 'vm-port', [TSO], true);
  m.setInterface(2, 'tap900i0', 'vm-port', [TSO], true);
  m.setInterface(3, 'br0', 'bridge', [TSO], true);
  m.setInterface(4, 'eth0', 'uplink', [TSO], true);
  const names = new Set(perInterface(await m.text()).map((l) => /interface="([^"]+)"/.exec(l)![1]));
  assert.deepEqual([...names], ['vnet0']);
  const roles = new AgentMetrics({ defaultMetrics: false, selection: sel({ includeRoles: ['vm-port'] }) });
  roles.setInterface(1, 'vnet0', 'vm-port', [TSO], true);
  roles.setInterface(3, 'br0', 'bridge', [TSO], true);
  assert.deepEqual(
    new Set(perInterface(await roles.text()).map((l) => /interface="([^"]+)"/.exec(l)![1])),
    new Set(['vnet0']),
  );
  // an interface leaving the selection (renamed) loses its series
  roles.setInterface(1, 'br1', 'bridge', [TSO], true);
  assert.equal(perInterface(await roles.text()).length, 0);
});

test('metrics: series per 1,000 interfaces (docs/fleet.md quotes these)', async () => {
  const r = await seriesPer1000();
  // tso-gso-off names 6 kernel bits on each managed interface: 1 + 6 + 6 series per interface
  assert.equal(r.policy, 13_000);
  assert.ok(r.all > 50_000, `full matrix ${r.all}`);
  assert.equal(r.vmPortsOnly, 13 * r.vmPorts);
  assert.equal(r.none, 1000, '--metrics-features none: one compliance series per interface');
});

test('metrics: per-VM-port drift counter exists only for VM ports that drifted, and goes with the port', async () => {
  const m = new AgentMetrics({ defaultMetrics: false });
  m.setInterface(5, 'vnet0', 'vm-port', [TSO], true, { vm: 'web1' });
  m.setInterface(6, 'br0', 'bridge', [TSO], true);
  m.setInterface(7, 'vnet1', 'vm-port', [TSO], true);
  m.interfaceDrift(5);
  m.driftEvent('drift', 5);
  m.interfaceDrift(6);
  let t = await m.text();
  assert.match(t, /^offloadctl_vm_port_drift_events_total\{interface="vnet0",vm="web1"\} 2$/m);
  assert.doesNotMatch(t, /offloadctl_vm_port_drift_events_total\{interface="(br0|vnet1)"/);
  m.remove(5);
  t = await m.text();
  assert.doesNotMatch(t, /offloadctl_vm_port_drift_events_total\{/);
});

test('metrics: the drift counter is exported at 0 from the start (increase() sees the first drift)', async () => {
  const t = await new AgentMetrics({ defaultMetrics: false }).text();
  assert.match(t, /^offloadctl_drift_events_total\{finding="drift"\} 0$/m);
  assert.match(t, /^offloadctl_drift_events_total\{finding="non-compliant"\} 0$/m);
});
