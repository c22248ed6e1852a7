/**
 * `offloadctl doctor` topology checks in a namespace of their own, compared with the oracle
 * (`ip -json link`, `ethtool --json -k`):
 *   - a bridge port whose MTU differs from the bridge,
 *   - LRO on a bridged veth with forwarding on: veth has rx-lro off [fixed] (ethtool cannot turn
 *     it on), and the check decides by the active state → ok, with the reason,
 *   - a fresh vnet_hdr tap: tx offloads off [requested on] until QEMU sets them → reported,
 *   - `ethtool -K br0 gso off` (the half-applied advice) → a path mismatch naming the hops.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createNetns, deleteNetns, ipIn, nsRun, nsRunOk, uniquePrefix } from '../../src/lab/netns.js';
import { cli } from '../unit/doctor/cli-helper.js';
import { isRoot } from './helpers/cli.js';
import { oracleFeatures, oracleLinks } from './helpers/oracle.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
let ns = '';

async function mtus(): Promise<Record<string, number>> {
  return Object.fromEntries((await oracleLinks(ns)).map((l) => [l.ifname, l.mtu]));
}

before(async () => {
  if (skip) return;
  ns = await createNetns(`${uniquePrefix('doc')}a`);
  await ipIn(ns, ['link', 'add', 'br0', 'type', 'bridge']);
  await ipIn(ns, ['link', 'add', 'v0a', 'type', 'veth', 'peer', 'name', 'v0b']);
  await ipIn(ns, ['tuntap', 'add', 'dev', 'tap0', 'mode', 'tap', 'vnet_hdr']);
  for (const p of ['v0a', 'tap0']) await ipIn(ns, ['link', 'set', p, 'master', 'br0']);
  for (const d of ['br0', 'v0a', 'v0b', 'tap0']) await ipIn(ns, ['link', 'set', d, 'up']);
  // A bridge MTU set by the user is kept (net/bridge/br_device.c br_change_mtu sets
  // BROPT_MTU_SET_BY_USER; br_mtu_auto_adjust then stops following the ports). Setting the MTU it
  // already has does not count (dev_set_mtu returns early), so change it, then lower one port.
  await ipIn(ns, ['link', 'set', 'br0', 'mtu', '1480']);
  await ipIn(ns, ['link', 'set', 'v0a', 'mtu', '1400']);
  await nsRunOk(ns, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
});

after(async () => {
  if (ns) await deleteNetns(ns);
});

function doctor(): { code: number; report: any } {
  const r = cli(['doctor', '--checks', 'topology', '--json', '-v'], { prefix: ['ip', 'netns', 'exec', ns] });
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) };
}

test('bridge port with a different MTU: reported with the MTUs the oracle shows, exit 1', { skip }, async () => {
  const m = await mtus();
  assert.notEqual(m.v0a, m.br0, 'setup: the oracle must show a mismatch');
  const { code, report } = doctor();
  assert.equal(code, 1);
  const f = report.findings.find((x: any) => x.id === 'bridge-port-mtu' && x.interfaces[0] === 'v0a');
  assert.ok(f, JSON.stringify(report.findings.map((x: any) => x.title)));
  assert.equal(f.severity, m.v0a! < m.br0! ? 'error' : 'warning');
  assert.deepEqual(f.evidence.slice(0, 1), [`br0 mtu ${m.br0}`]);
  assert.match(f.evidence[1], new RegExp(`^v0a mtu ${m.v0a} `));
  // Every port: an ok note exactly when the oracle shows equal MTUs, a finding otherwise.
  for (const port of ['v0a', 'tap0']) {
    const ok = report.checks.some((c: any) => c.check === 'bridge-port-mtu' && c.ifname === port && c.result === 'ok');
    const found = report.findings.some((x: any) => x.id === 'bridge-port-mtu' && x.interfaces[0] === port);
    assert.equal(ok, m[port] === m.br0, port);
    assert.equal(found, m[port] !== m.br0, port);
  }
});

test('LRO cannot be forced on veth: the oracle shows rx-lro off [fixed]; the check decides by active+fixed → ok, no finding', {
  skip,
}, async () => {
  const attempt = await nsRun(ns, ['ethtool', '-K', 'v0a', 'lro', 'on']);
  const lro = (await oracleFeatures(ns, 'v0a'))['rx-lro']!;
  assert.equal(lro.active, false, `ethtool -K v0a lro on (exit ${attempt.code}) must not turn it on`);
  assert.equal(lro.fixed, true);
  const { report } = doctor();
  assert.ok(
    report.notes.some((n: string) => /IP forwarding is on/.test(n)),
    'the check knows the namespace forwards',
  );
  const note = report.checks.find((c: any) => c.check === 'lro-while-forwarding' && c.ifname === 'v0a');
  assert.equal(note.result, 'ok');
  assert.match(note.reason, /rx-lro off \[fixed\]/);
  assert.equal(report.findings.filter((x: any) => x.id === 'lro-while-forwarding').length, 0);
});

test('fresh vnet_hdr tap: features requested on but not active are exactly the ones the oracle shows', {
  skip,
}, async () => {
  const k = await oracleFeatures(ns, 'tap0');
  const oracle = Object.entries(k)
    .filter(([, s]) => s.requested === true && s.active === false && s.fixed === false)
    .map(([n]) => n)
    .sort();
  assert.ok(
    oracle.includes('tx-tcp-segmentation'),
    `kernel-facts: a fresh tap shows tx-tcp-segmentation off [requested on]; oracle: ${oracle}`,
  );
  const { report } = doctor();
  const f = report.findings.find((x: any) => x.id === 'tap-offloads-negotiated-away' && x.interfaces[0] === 'tap0');
  assert.ok(f, JSON.stringify(report.findings.map((x: any) => x.title)));
  assert.deepEqual([...f.features].sort(), oracle);
  assert.equal(f.severity, 'info');
  const v = report.checks.find((c: any) => c.check === 'tap-offloads');
  assert.equal(v, undefined, 'tap0 is the only tap and it has a finding, not an ok note');
});

test('half-applied advice (`ethtool -K br0 gso off`): the path check names the hops the oracle shows on and off', {
  skip,
}, async () => {
  await nsRunOk(ns, ['ethtool', '-K', 'br0', 'gso', 'off']);
  const br = (await oracleFeatures(ns, 'br0'))['tx-generic-segmentation']!;
  const tap = (await oracleFeatures(ns, 'tap0'))['tx-generic-segmentation']!;
  assert.equal(br.active, false);
  assert.equal(tap.active, true, 'setup: the tap keeps gso on');
  const { report } = doctor();
  const f = report.findings.find(
    (x: any) => x.id === 'path-offload-mismatch' && x.features.includes('tx-generic-segmentation'),
  );
  assert.ok(f, JSON.stringify(report.findings.map((x: any) => x.title)));
  assert.ok(f.evidence.includes('br0 (bridge): gso off'));
  assert.ok(f.evidence.some((e: string) => e.startsWith('tap0 (vm-port): gso on')));
  assert.deepEqual(f.fix.ethtool, ['ethtool -K br0 gso on']);
});
