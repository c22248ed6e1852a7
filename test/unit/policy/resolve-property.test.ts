import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { resolvePolicy } from '../../../src/policy/resolve.js';
import { ruleSelects } from '../../../src/policy/select.js';
import { expandFeatureName } from '../../../src/policy/short-names.js';
import type { FeatureValue, Interface, Policy, Role, Rule } from '../../../src/model/types.js';
import { ROLES } from '../../../src/policy/schema.js';
import { FEATURES_61, FEATURES_618, features } from './helpers.js';

/** Invariants of resolvePolicy over random hosts and random policies. */

const role = fc.constantFrom<Role>(...ROLES);
const ifaceArb = fc.record({
  name: fc.constantFrom('lo', 'br0', 'eno1', 'tap100i0', 'vnet3', 'vif1.0', 'veth9'),
  role,
  master: fc.option(fc.constantFrom('br0', 'bond0'), { nil: null }),
  modern: fc.boolean(),
});
const featureName = fc.constantFrom(
  'tso',
  'gso',
  'sg',
  'gro',
  'tx',
  'rx',
  'ufo',
  'tx-tcp6-segmentation',
  'rx-gro',
  'tcp-segmentation-offload',
  'tx-tcp-accecn-segmentation',
);
const value = fc.constantFrom<FeatureValue>('on', 'off');
const selector = fc.record(
  {
    role: fc.array(role, { minLength: 1, maxLength: 3 }),
    name: fc.array(fc.constantFrom('*', 'br*', 'tap*', 'v*', 'lo', 'vif*.*'), { minLength: 1, maxLength: 2 }),
    master: fc.array(fc.constantFrom('br*', 'bond*'), { minLength: 1, maxLength: 1 }),
  },
  { requiredKeys: [] },
);
const ruleArb: fc.Arbitrary<Rule> = fc.record({
  name: fc.constantFrom('a', 'b', 'c', 'd'),
  select: selector,
  features: fc.dictionary(featureName, value, { minKeys: 1, maxKeys: 4 }),
});
const ruleWithExclude: fc.Arbitrary<Rule> = fc
  .tuple(ruleArb, fc.option(selector, { nil: undefined }))
  .map(([r, ex]) => (ex && Object.keys(ex).length ? { ...r, exclude: ex } : r));

function host(specs: { name: string; role: Role; master: string | null; modern: boolean }[]): Interface[] {
  return specs.map((s, i) => ({
    ifindex: i + 1,
    name: `${s.name}-${i}`.slice(0, 15),
    kind: null,
    role: s.role,
    master: s.master,
    driver: null,
    mtu: 1500,
    operstate: 'UP',
    vm: null,
    features: features(s.modern ? FEATURES_618 : FEATURES_61, true),
  }));
}

test('property: resolve = "last selecting rule wins", only features the interface has, loopback only by role', () => {
  fc.assert(
    fc.property(
      fc.array(ifaceArb, { maxLength: 6 }),
      fc.array(ruleWithExclude, { minLength: 1, maxLength: 5 }),
      (specs, rules) => {
        const interfaces = host(specs);
        const policy: Policy = { name: 'p', source: 'test', rules };
        const d = resolvePolicy(policy, { takenAt: '', backend: 'netlink', interfaces });
        const byIndex = new Map(d.interfaces.map((x) => [x.ifindex, x]));
        for (const iface of interfaces) {
          const got = byIndex.get(iface.ifindex)?.features ?? {};
          // Reference: walk the rules in order, expanding against the interface's own list.
          const want: Record<string, { value: boolean; rule: string }> = {};
          for (const r of rules) {
            if (!ruleSelects(r, iface)) continue;
            for (const [n, v] of Object.entries(r.features)) {
              for (const k of expandFeatureName(n, Object.keys(iface.features)))
                want[k] = { value: v === 'on', rule: r.name! };
            }
          }
          assert.deepEqual(got, want);
          for (const k of Object.keys(got)) assert.ok(k in iface.features, `${k} exists on ${iface.name}`);
          if (iface.role === 'loopback' && !rules.some((r) => r.select.role?.includes('loopback'))) {
            assert.ok(!byIndex.has(iface.ifindex), 'loopback only when a rule names role loopback');
          }
        }
        // Only interfaces with something wanted appear, in observation order.
        assert.deepEqual(
          d.interfaces.map((x) => x.ifindex),
          interfaces.filter((i) => byIndex.has(i.ifindex)).map((i) => i.ifindex),
        );
        assert.ok(d.interfaces.every((x) => Object.keys(x.features).length > 0));
      },
    ),
    { numRuns: 500 },
  );
});
