import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ethtoolWords, expandFeatures, remedyFor } from '../../../src/doctor/remedy.js';
import { loadPolicy } from '../../../src/policy/index.js';

test('ethtool words: a short name when it covers whole groups, kernel names otherwise', () => {
  assert.deepEqual(ethtoolWords(expandFeatures(['tso', 'gso'])), ['tso', 'gso']);
  assert.deepEqual(ethtoolWords(['tx-tcp6-segmentation']), ['tx-tcp6-segmentation']);
  assert.deepEqual(ethtoolWords(['rx-lro']), ['lro']);
});

test('remedy: profile command for tso/gso, ethtool -K per interface, measure on request', () => {
  const r = remedyFor(['eno1', 'eno2'], expandFeatures(['tso', 'gso']), { measure: true });
  assert.equal(r.offloadctl[0], 'offloadctl apply --profile tso-gso-off --interface eno1 --interface eno2 --yes');
  assert.deepEqual(r.ethtool, ['ethtool -K eno1 tso off gso off', 'ethtool -K eno2 tso off gso off']);
  assert.match(r.measure!, /^offloadctl bench --profiles offloads-on,tso-gso-off --interface eno1 --interface eno2/);
  assert.equal(remedyFor(['eno1'], ['rx-lro']).offloadctl.length, 1, 'no profile for lro: policy file only');
  assert.deepEqual(remedyFor([], ['rx-lro']).ethtool, []);
});

test('the policy file a remedy suggests is a valid policy for `offloadctl apply --policy`', () => {
  const r = remedyFor(['eno1', 'vmbr0'], expandFeatures(['tso', 'sg', 'rx-lro']));
  const line = r.offloadctl.find((c) => c.includes('--policy FILE'))!;
  const yaml = line.slice(line.indexOf('# FILE: ') + '# FILE: '.length);
  const dir = mkdtempSync(join(tmpdir(), 'olc-doc-'));
  try {
    const file = join(dir, 'doctor-fix.yaml');
    writeFileSync(file, yaml + '\n');
    const p = loadPolicy({ file });
    assert.equal(p.rules.length, 1);
    assert.deepEqual(p.rules[0]!.select.name, ['eno1', 'vmbr0']);
    assert.ok(Object.keys(p.rules[0]!.features).length >= 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
