import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  explainFeature,
  explainableNames,
  renderExplanation,
  suggestFeatureNames,
} from '../../../src/doctor/explain.js';
import { COMMON_KERNEL_FEATURES, SHORT_NAMES } from '../../../src/policy/short-names.js';
import { OffloadError } from '../../../src/model/errors.js';
import { builtinSignatures } from '../../../src/doctor/signatures.js';
import { cli } from './cli-helper.js';

test('every ethtool short name and long label is explained', () => {
  for (const s of SHORT_NAMES) {
    for (const name of [s.short, s.long]) {
      const e = explainFeature(name);
      assert.equal(e.shortName, s.short, name);
      assert.ok(e.what.length > 40 && e.offCost.length > 10, name);
      assert.ok(e.kernelNames.length > 0, name);
      assert.ok(renderExplanation(e).includes(e.title));
    }
  }
});

test('every kernel feature name the kernel commonly reports is explained', () => {
  for (const k of COMMON_KERNEL_FEATURES) {
    const e = explainFeature(k);
    assert.deepEqual(e.kernelNames, [k]);
  }
});

test('a sample of kernel names: the right entry and the short name that covers them', () => {
  assert.equal(explainFeature('tx-tcp6-segmentation').shortName, 'tso');
  assert.equal(explainFeature('tx-tcp-accecn-segmentation').shortName, 'tso');
  assert.equal(explainFeature('tx-generic-segmentation').shortName, 'gso');
  assert.equal(explainFeature('rx-gro').shortName, 'gro');
  assert.equal(explainFeature('tx-checksum-ip-generic').shortName, 'tx');
  assert.equal(explainFeature('tx-udp_tnl-segmentation').shortName, null);
  assert.match(explainFeature('tx-udp_tnl-segmentation').title, /Tunnel segmentation/);
  assert.match(explainFeature('RX-LRO').title, /Large receive offload/, 'case-insensitive');
});

test('the measured 17.8 → 4.4 Gbit/s figure is cited for TSO/GSO only', () => {
  for (const n of explainableNames()) {
    const e = explainFeature(n);
    const cites = e.offCost.includes('17.8');
    assert.equal(cites, e.shortName === 'tso' || e.shortName === 'gso', n);
  }
});

test('captures: tx checksum and segmentation explain the capture point; related findings exist', () => {
  const tso = explainFeature('tso');
  assert.ok(tso.captures.some((c) => /bigger than the MTU/.test(c) && /dev_queue_xmit_nit/.test(c)));
  assert.ok(explainFeature('tx').captures.some((c) => /incorrect/.test(c) && /CHECKSUM_PARTIAL/.test(c)));
  assert.ok(explainFeature('gro').captures.some((c) => /bigger than the MTU/.test(c)));
  const ids = new Set(builtinSignatures().map((s) => s.id));
  for (const n of explainableNames()) {
    for (const f of explainFeature(n).findings) {
      assert.ok(ids.has(f.id) || f.title !== f.id, `finding ${f.id} of ${n} has no title: unknown id`);
    }
  }
  assert.ok(tso.findings.some((f) => f.id === 'e1000e-hardware-unit-hang'));
  assert.ok(explainFeature('lro').findings.some((f) => f.id === 'lro-forwarding'));
  assert.equal(tso.commands.off, 'ethtool -K IFACE tso off');
  assert.equal(explainFeature('rx-gro').commands.off, 'ethtool -K IFACE gro off');
});

test('unknown names: usage error (exit 2) with the closest names', () => {
  assert.deepEqual(suggestFeatureNames('tsoo').slice(0, 1), ['tso']);
  assert.ok(suggestFeatureNames('tcp-segmentation').includes('tx-tcp-segmentation'));
  assert.ok(suggestFeatureNames('generic-recieve-offload').includes('generic-receive-offload'));
  try {
    explainFeature('tcp-segmentaton');
    assert.fail('no error');
  } catch (e) {
    assert.ok(e instanceof OffloadError);
    assert.equal(e.exitCode, 2);
    assert.ok((e.detail!.suggestions as string[]).includes('tx-tcp-segmentation'));
  }
});

test('CLI: explain tso (0), --json, unknown name (2, suggestions on stderr, nothing on stdout), no name (2)', () => {
  const ok = cli(['explain', 'tso']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /TCP segmentation offload/);
  const js = cli(['explain', 'gso', '--json']);
  assert.equal(js.code, 0);
  assert.equal(JSON.parse(js.stdout).shortName, 'gso');
  const bad = cli(['explain', 'tsoo']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /unknown feature "tsoo"; did you mean: tso/);
  assert.equal(cli(['explain']).code, 2);
  const list = cli(['explain', '--list']);
  assert.equal(list.code, 0);
  assert.ok(list.stdout.split('\n').includes('tx-tcp-segmentation'));
});
