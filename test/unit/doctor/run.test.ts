import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDoctor, type DoctorDeps } from '../../../src/doctor/run.js';
import { exitCodeFor } from '../../../src/doctor/report.js';
import type { InterfaceCounters } from '../../../src/kernel/stats.js';
import { feats, iface, observation, PATH_ON } from './helpers.js';

const OBS = observation([
  iface('eno1', { role: 'uplink', master: 'vmbr0', driver: 'e1000e', features: feats(PATH_ON) }),
  iface('vmbr0', { role: 'bridge', kind: 'bridge', driver: 'bridge', features: feats(PATH_ON) }),
  iface('tap100i0', { role: 'vm-port', kind: 'tun', master: 'vmbr0', driver: 'tun', features: feats(PATH_ON) }),
]);

const LOG = [
  '[ 100.000000] e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:',
  '[ 101.000000] e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:',
  '[ 102.000000] vmbr0: port 2(tap100i0) entered forwarding state',
];

function deps(samples: InterfaceCounters[][]): DoctorDeps & { slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return {
    slept,
    observe: async () => OBS,
    openLog: async () => ({
      source: 'test',
      bootMs: null,
      lines: (async function* () {
        yield* LOG;
      })(),
    }),
    readCounters: async () => samples.shift() ?? [],
    readForwarding: async () => ({ ipv4: false, ipv6: false }),
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
    nowMs: () => Date.UTC(2026, 10, 25, 12),
    monotonicMs: () => t,
  };
}

test('doctor pipeline: log hang + counters + known problem confirmed by the log; ranked; exit code by --fail-on', async () => {
  const d = deps([
    [{ ifname: 'eno1', stats: { tx_timeout: 1 }, driver: null }],
    [{ ifname: 'eno1', stats: { tx_timeout: 2 }, driver: null }],
  ]);
  const r = await runDoctor({ checks: new Set(['logs', 'counters', 'topology']), intervalSeconds: 2 }, d);
  assert.deepEqual(d.slept, [2000]);
  assert.deepEqual(
    r.findings.map((f) => [f.severity, f.id]),
    [
      ['critical', 'e1000e-hardware-unit-hang'],
      ['critical', 'counters-tx-timeout'],
      ['critical', 'known-e1000e-tso'], // warning, raised by the log lines for eno1
    ],
  );
  const hang = r.findings[0]!;
  assert.deepEqual(hang.interfaces, ['eno1']);
  assert.ok(hang.evidence.includes('2 line(s)'));
  assert.ok(
    hang.evidence.some((e) =>
      /^now on eno1 \(e1000e\): tx-tcp-segmentation, tx-generic-segmentation, tx-scatter-gather on$/.test(e),
    ),
    hang.evidence.join('\n'),
  );
  assert.ok(hang.fix.offloadctl.some((c) => c.includes('--interface eno1')));
  // sg is implicated, but the first step offered is tso/gso (the signature's `fix`).
  assert.deepEqual(hang.fix.ethtool, ['ethtool -K eno1 tso off gso off']);
  assert.equal(hang.fix.offloadctl[0], 'offloadctl apply --profile tso-gso-off --interface eno1 --yes');
  assert.ok(
    r.findings[2]!.evidence.some((e) =>
      e.startsWith('confirmed by the kernel log: 2× e1000e-hardware-unit-hang on eno1'),
    ),
  );
  assert.equal(r.counters!.rates[0]!.perSecond, 0.5);
  assert.equal(r.log!.linesRead, 3);
  assert.equal(exitCodeFor(r, 'warning'), 1);
  assert.ok(JSON.parse(JSON.stringify(r)), 'serialisable');
});

test('doctor pipeline: nothing wrong → exit 0; info findings count only with --fail-on info', async () => {
  const obs = observation([
    iface('br0', { role: 'bridge', kind: 'bridge', features: feats(PATH_ON) }),
    iface('tap0', {
      role: 'vm-port',
      kind: 'tun',
      master: 'br0',
      features: feats({ ...PATH_ON, 'tx-tcp-segmentation': 'off [requested on]' }),
    }),
  ]);
  const d = { ...deps([]), observe: async () => obs };
  const r = await runDoctor({ checks: new Set(['topology']), intervalSeconds: 0 }, d);
  assert.deepEqual(
    r.findings.map((f) => f.id),
    ['tap-offloads-negotiated-away'],
  );
  assert.equal(exitCodeFor(r, 'warning'), 0);
  assert.equal(exitCodeFor(r, 'info'), 1);
  assert.equal(r.log, null);
  assert.equal(r.counters, null);
});

test('--interface restricts topology and log findings to the selected interfaces', async () => {
  const d = deps([]);
  const r = await runDoctor(
    { checks: new Set(['logs', 'topology']), intervalSeconds: 0, selectInterface: (n) => n.startsWith('tap') },
    d,
  );
  assert.deepEqual(r.findings, []);
});

test('skb_warn_bad_offload names the driver: the finding points at the interfaces of that driver', async () => {
  const d = deps([]);
  d.openLog = async () => ({
    source: 'test',
    bootMs: null,
    lines: (async function* () {
      yield '[ 901.000001] e1000e: caps=(0x00000010000154a9, 0x0000000000000000)';
    })(),
  });
  const r = await runDoctor({ checks: new Set(['logs', 'topology']), intervalSeconds: 0 }, d);
  const f = r.findings.find((x) => x.id === 'bad-offload')!;
  assert.deepEqual(f.interfaces, ['eno1']);
  assert.ok(f.fix.ethtool[0]!.startsWith('ethtool -K eno1 '));
});
