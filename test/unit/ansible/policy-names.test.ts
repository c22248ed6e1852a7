import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The collection's feature-name translation (module_utils/offloadctl.py), run with python3: the
 * linux-system-roles spelling (tx_tcp_segmentation: false) in offloadctl's (tx-tcp-segmentation: off).
 */
const COLLECTIONS = fileURLToPath(new URL('../../../ansible', import.meta.url));
const noPython = spawnSync('python3', ['--version']).error ? 'python3 not installed' : false;
const noAnsible = spawnSync('python3', ['-c', 'import ansible']).status !== 0 ? 'ansible-core not installed' : false;

function py(code: string): unknown {
  const r = spawnSync(
    'python3',
    [
      '-c',
      `import json\nfrom ansible_collections.offloadctl.hypervisor.plugins.module_utils.offloadctl import *\n${code}`,
    ],
    {
      env: { ...process.env, PYTHONPATH: COLLECTIONS, PYTHONDONTWRITEBYTECODE: '1' },
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('feature names: linux-system-roles spelling → kernel names; short and kernel names unchanged', {
  skip: noPython || noAnsible,
}, () => {
  const names = [
    'tx_tcp_segmentation',
    'tx_generic_segmentation',
    'tx_udp_tnl_segmentation',
    'tx_udp_tnl_csum_segmentation',
    'gro',
    'tso',
    'tx-tcp6-segmentation',
    'tx-udp_tnl-segmentation',
    'rx_gro_hw',
  ];
  assert.deepEqual(py(`print(json.dumps([feature_name(n) for n in ${JSON.stringify(names)}]))`), [
    'tx-tcp-segmentation',
    'tx-generic-segmentation',
    'tx-udp_tnl-segmentation',
    'tx-udp_tnl-csum-segmentation',
    'gro',
    'tso',
    'tx-tcp6-segmentation',
    'tx-udp_tnl-segmentation',
    'rx-gro-hw',
  ]);
});

test('inline policy: names and values (booleans, yes/no, on/off) translated; a bad value refused', {
  skip: noPython || noAnsible,
}, () => {
  const out = py(
    `print(json.dumps(translate_policy({'rules': [{'select': {'role': ['vm-port']}, 'features': {'tx_tcp_segmentation': False, 'gso': 'off', 'rx_gro': True, 'sg': 'yes'}}]})))`,
  );
  assert.deepEqual(out, {
    name: 'ansible-inline',
    rules: [
      {
        select: { role: ['vm-port'] },
        features: { 'tx-tcp-segmentation': 'off', gso: 'off', 'rx-gro': 'on', sg: 'on' },
      },
    ],
  });
  const r = spawnSync(
    'python3',
    [
      '-c',
      'from ansible_collections.offloadctl.hypervisor.plugins.module_utils.offloadctl import feature_value\nfeature_value("maybe")',
    ],
    {
      env: { ...process.env, PYTHONPATH: COLLECTIONS, PYTHONDONTWRITEBYTECODE: '1' },
      encoding: 'utf8',
    },
  );
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /expected on\/off or a boolean/);
});
