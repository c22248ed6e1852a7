/**
 * Series the agent exports per 1,000 interfaces, for each metrics selection (docs/fleet.md).
 * Pure: builds the agent's metrics registry with 1,000 interfaces (800 VM ports, 150 bridges,
 * 50 uplinks; every one managed by tso-gso-off, which names 6 kernel bits on 6.18) and counts the
 * series of the exposition text. The feature list is the one the kernel of these machines reports
 * (64 slots, 63 names). Run: node --import tsx bench/metrics-cardinality.ts
 */
import { AgentMetrics } from '../src/agent/metrics.js';
import { DEFAULT_METRICS_SELECTION, type MetricsSelection } from '../src/agent/metrics-selection.js';
import { COMMON_KERNEL_FEATURES } from '../src/policy/short-names.js';

const TSO_GSO = [
  'tx-tcp-segmentation',
  'tx-tcp-ecn-segmentation',
  'tx-tcp-mangleid-segmentation',
  'tx-tcp6-segmentation',
  'tx-tcp-accecn-segmentation',
  'tx-generic-segmentation',
];

/** The agent's metrics registry for `n` interfaces: 80% VM ports, 15% bridges, 5% uplinks. */
export function metricsFor(selection: MetricsSelection, n = 1000): AgentMetrics {
  const m = new AgentMetrics({ defaultMetrics: false, selection });
  const features = [...new Set([...COMMON_KERNEL_FEATURES, ...TSO_GSO])];
  const all = Object.fromEntries(features.map((f) => [f, { active: f.startsWith('tx-') }]));
  for (let i = 0; i < n; i++) {
    const role = i < n * 0.8 ? 'vm-port' : i < n * 0.95 ? 'bridge' : 'uplink';
    const name = role === 'vm-port' ? `vnet${i}` : role === 'bridge' ? `br${i}` : `eth${i}`;
    m.setInterface(
      i + 1,
      name,
      role,
      TSO_GSO.map((feature) => ({ feature, active: false, want: false })),
      true,
      { all, vm: role === 'vm-port' ? `vm${i}` : null },
    );
  }
  return m;
}

async function count(selection: MetricsSelection, n = 1000): Promise<{ total: number; perInterface: number }> {
  const text = await metricsFor(selection, n).text();
  const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
  const perInterface = lines.filter((l) =>
    /^offloadctl_(interface_compliant|feature_active|feature_compliant)\{/.test(l),
  ).length;
  return { total: lines.length, perInterface };
}

export async function seriesPer1000(): Promise<{
  none: number;
  policy: number;
  all: number;
  vmPortsOnly: number;
  vmPorts: number;
  fixed: number;
  features: number;
}> {
  const base = DEFAULT_METRICS_SELECTION;
  const policy = await count(base);
  const all = await count({ ...base, features: 'all' });
  const vm = await count({ ...base, includeRoles: ['vm-port'] });
  const none = await count({ ...base, features: 'none' });
  return {
    none: none.perInterface,
    policy: policy.perInterface,
    all: all.perInterface,
    vmPortsOnly: vm.perInterface,
    vmPorts: 800,
    fixed: policy.total - policy.perInterface,
    features: new Set([...COMMON_KERNEL_FEATURES, ...TSO_GSO]).size,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await seriesPer1000();
  console.log(
    `per-interface series for 1,000 interfaces (800 VM ports, 150 bridges, 50 uplinks; policy tso-gso-off = 6 kernel bits; ${r.features} kernel features)`,
  );
  console.log(`  default (--metrics-features policy)      ${r.policy}`);
  console.log(`  --metrics-features none (compliance only) ${r.none}`);
  console.log(`  --metrics-role vm-port                   ${r.vmPortsOnly}`);
  console.log(`  --metrics-features all (full matrix)     ${r.all}   (${(r.all / r.policy).toFixed(1)}x the default)`);
  console.log(`  plus per-agent series (counters, histogram, process): ${r.fixed}`);
}
