import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandFeatureName } from '../../../src/policy/short-names.js';

test('tso expands to every tx-tcp*-segmentation bit the kernel knows, accecn included', () => {
  assert.deepEqual(expandFeatureName('tso').sort(), [
    'tx-tcp-accecn-segmentation',
    'tx-tcp-ecn-segmentation',
    'tx-tcp-mangleid-segmentation',
    'tx-tcp-segmentation',
    'tx-tcp6-segmentation',
  ]);
});

test('short, long and kernel names', () => {
  assert.deepEqual(expandFeatureName('gso'), ['tx-generic-segmentation']);
  assert.deepEqual(expandFeatureName('generic-receive-offload'), ['rx-gro']);
  assert.deepEqual(expandFeatureName('rx-gro'), ['rx-gro']);
  assert.deepEqual(expandFeatureName('sg'), ['tx-scatter-gather', 'tx-scatter-gather-fraglist']);
  assert.deepEqual(expandFeatureName('no-such-feature'), []);
  assert.deepEqual(expandFeatureName('ufo', ['rx-gro']), [], 'ufo is gone from current kernels');
});
