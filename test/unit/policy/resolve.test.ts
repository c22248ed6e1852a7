import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolvePolicy } from '../../../src/policy/resolve.js';
import type { Policy } from '../../../src/model/types.js';
import { kvmHost } from './helpers.js';

const policy = (rules: Policy['rules']): Policy => ({ name: 't', source: 'test', rules });

test('per-interface expansion: tso covers accecn only where the kernel has it', () => {
  const d = resolvePolicy(policy([{ name: 'a', select: {}, features: { tso: 'off' } }]), kvmHost());
  const br = d.interfaces.find((i) => i.name === 'br0')!;
  const vnet = d.interfaces.find((i) => i.name === 'vnet3')!; // 6.1-like list
  assert.ok('tx-tcp-accecn-segmentation' in br.features);
  assert.ok(!('tx-tcp-accecn-segmentation' in vnet.features));
  assert.equal(Object.keys(vnet.features).length, 4);
});

test('later rules override earlier ones feature by feature, and name the deciding rule', () => {
  const d = resolvePolicy(
    policy([
      { name: 'all-off', select: {}, features: { tso: 'off', gso: 'off', gro: 'off' } },
      { name: 'uplink-gro', select: { role: ['uplink'] }, features: { gro: 'on', 'tx-tcp6-segmentation': 'on' } },
    ]),
    kvmHost(),
  );
  const eno = d.interfaces.find((i) => i.name === 'eno1')!;
  assert.deepEqual(eno.features['rx-gro'], { value: true, rule: 'uplink-gro' });
  assert.deepEqual(eno.features['tx-tcp6-segmentation'], { value: true, rule: 'uplink-gro' });
  assert.deepEqual(eno.features['tx-tcp-segmentation'], { value: false, rule: 'all-off' });
  assert.deepEqual(eno.features['tx-generic-segmentation'], { value: false, rule: 'all-off' });
  const br = d.interfaces.find((i) => i.name === 'br0')!;
  assert.deepEqual(br.features['rx-gro'], { value: false, rule: 'all-off' });
});

test('an earlier specific rule is overridden by a later general one (order, not specificity)', () => {
  const d = resolvePolicy(
    policy([
      { name: 'specific', select: { name: ['br0'] }, features: { gso: 'on' } },
      { name: 'general', select: {}, features: { gso: 'off' } },
    ]),
    kvmHost(),
  );
  assert.deepEqual(d.interfaces.find((i) => i.name === 'br0')!.features['tx-generic-segmentation'], {
    value: false,
    rule: 'general',
  });
});

test('loopback: left out unless a rule selects role loopback', () => {
  const none = resolvePolicy(policy([{ name: 'a', select: {}, features: { gso: 'off' } }]), kvmHost());
  assert.ok(!none.interfaces.some((i) => i.name === 'lo'));
  const lo = resolvePolicy(
    policy([{ name: 'lo', select: { role: ['loopback'] }, features: { gso: 'off' } }]),
    kvmHost(),
  );
  assert.deepEqual(
    lo.interfaces.map((i) => i.name),
    ['lo'],
  );
});

test('long labels and kernel names work like short names; missing kernel names are skipped; unselected interfaces left out', () => {
  const d = resolvePolicy(
    policy([
      {
        name: 'x',
        select: { role: ['vm-port'] },
        features: { 'generic-receive-offload': 'off', 'tx-udp-segmentation': 'off', 'tx-esp-segmentation': 'off' },
      },
    ]),
    kvmHost(),
  );
  assert.deepEqual(
    d.interfaces.map((i) => i.name),
    ['tap100i0', 'vnet3'],
  );
  assert.deepEqual(Object.keys(d.interfaces[0]!.features).sort(), ['rx-gro', 'tx-udp-segmentation']);
});

test('a rule whose features the interface lacks entirely leaves it out of Desired', () => {
  const d = resolvePolicy(policy([{ name: 'x', select: {}, features: { ufo: 'off' } }]), kvmHost());
  assert.deepEqual(d.interfaces, []);
});

test('the same feature twice in one rule: the later key wins', () => {
  const d = resolvePolicy(
    policy([{ name: 'x', select: { name: ['br0'] }, features: { tso: 'off', 'tx-tcp6-segmentation': 'on' } }]),
    kvmHost(),
  );
  assert.equal(d.interfaces[0]!.features['tx-tcp6-segmentation']!.value, true);
  assert.equal(d.interfaces[0]!.features['tx-tcp-segmentation']!.value, false);
});
