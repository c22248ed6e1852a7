import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PROFILE, listProfiles, loadPolicy, resolvePolicy } from '../../../src/policy/index.js';
import { isOffloadError } from '../../../src/model/errors.js';
import { FEATURES_618, kvmHost } from './helpers.js';

const TSO = FEATURES_618.filter((f) => /^tx-tcp.*-segmentation$/.test(f));

test('listProfiles: the three built-ins with descriptions, tso-gso-off the default', () => {
  const ps = listProfiles();
  assert.deepEqual(
    ps.map((p) => p.name),
    ['tso-gso-off', 'tso-gso-sg-off', 'offloads-on'],
  );
  assert.equal(DEFAULT_PROFILE, 'tso-gso-off');
  assert.deepEqual(
    ps.filter((p) => p.default).map((p) => p.name),
    ['tso-gso-off'],
  );
  for (const p of ps) assert.ok(p.description.length > 20, p.name);
});

test('loadPolicy: neither option → tso-gso-off; both → usage error; unknown profile → usage with a hint', () => {
  assert.equal(loadPolicy({}).name, 'tso-gso-off');
  assert.equal(loadPolicy().source, 'builtin');
  assert.throws(
    () => loadPolicy({ profile: 'tso-gso-off', file: 'x.yaml' }),
    (e) => isOffloadError(e) && e.category === 'usage' && e.exitCode === 2,
  );
  assert.throws(
    () => loadPolicy({ profile: 'tso-gso-of' }),
    (e) =>
      isOffloadError(e) &&
      e.exitCode === 2 &&
      /unknown profile "tso-gso-of".*did you mean "tso-gso-off"/.test(e.message),
  );
});

test('loadPolicy returns a copy: callers cannot corrupt the built-in', () => {
  const p = loadPolicy({ profile: 'tso-gso-off' });
  p.rules[0]!.features.gro = 'off';
  assert.equal(loadPolicy({ profile: 'tso-gso-off' }).rules[0]!.features.gro, undefined);
});

test('tso-gso-off expands to every tx-tcp*-segmentation bit and GSO, on every interface but loopback, bridges included', () => {
  const obs = kvmHost();
  const d = resolvePolicy(loadPolicy({ profile: 'tso-gso-off' }), obs);
  assert.equal(d.policy, 'tso-gso-off');
  assert.deepEqual(
    d.interfaces.map((i) => i.name),
    ['eno1', 'br0', 'tap100i0', 'vnet3', 'veth9'],
  );
  const br = d.interfaces.find((i) => i.name === 'br0')!;
  assert.deepEqual(Object.keys(br.features).sort(), [...TSO, 'tx-generic-segmentation'].sort());
  for (const v of Object.values(br.features)) assert.deepEqual(v, { value: false, rule: 'tso-gso-off' });
});

test('tso-gso-sg-off adds scatter-gather; offloads-on turns the defaults on', () => {
  const obs = kvmHost();
  const sg = resolvePolicy(loadPolicy({ profile: 'tso-gso-sg-off' }), obs).interfaces[0]!;
  assert.equal(sg.features['tx-scatter-gather']?.value, false);
  assert.equal(sg.features['tx-scatter-gather-fraglist']?.value, false);
  assert.equal(sg.features['rx-gro'], undefined, 'GRO untouched');
  const on = resolvePolicy(loadPolicy({ profile: 'offloads-on' }), obs).interfaces[0]!;
  for (const f of [
    ...TSO,
    'tx-generic-segmentation',
    'tx-scatter-gather',
    'rx-gro',
    'rx-checksum',
    'tx-checksum-ip-generic',
  ]) {
    assert.equal(on.features[f]?.value, true, f);
  }
  assert.equal(on.features['rx-lro'], undefined, 'LRO is not a default to turn back on');
});

test('every profile printed as YAML (offloadctl profiles NAME) loads back as the same policy', async () => {
  const { policyToYaml, parsePolicyText, PROFILES } = await import('../../../src/policy/index.js');
  for (const p of PROFILES) {
    const back = parsePolicyText(policyToYaml(p), `${p.name}.yaml`);
    assert.equal(back.name, p.name);
    assert.equal(back.description, p.description);
    assert.deepEqual(back.rules, p.rules);
  }
});
