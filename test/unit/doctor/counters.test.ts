import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeRates, counterFindings } from '../../../src/doctor/counters.js';
import { parseEthtoolStats, parseProcNetDev } from '../../../src/kernel/stats.js';
import type { CounterSnapshot } from '../../../src/doctor/types.js';

const a: CounterSnapshot = {
  atMs: 1000,
  interfaces: [
    {
      ifname: 'eno1',
      stats: { rx_crc_errors: 100, rx_dropped: 5, tx_timeout: 2, rx_packets: 1e6 },
      driver: { rx_csum_err: 0, tx_restart_queue: 7, rx_csum_good: 10, peer_ifindex: 3 },
    },
    { ifname: 'vmbr0', stats: { rx_dropped: 50, tx_errors: 0 }, driver: null },
    { ifname: 'tap1', stats: { rx_errors: 10 }, driver: null },
  ],
};
const b: CounterSnapshot = {
  atMs: 3000, // 2 s later
  interfaces: [
    {
      ifname: 'eno1',
      stats: { rx_crc_errors: 100, rx_dropped: 9, tx_timeout: 3, rx_packets: 2e6 },
      driver: { rx_csum_err: 4, tx_restart_queue: 7, rx_csum_good: 99, peer_ifindex: 3 },
    },
    { ifname: 'vmbr0', stats: { rx_dropped: 50, tx_errors: 0 }, driver: null },
    { ifname: 'tap1', stats: { rx_errors: 3 }, driver: null }, // went backwards (re-created): skipped
    { ifname: 'new0', stats: { rx_errors: 3 }, driver: null }, // not in the first sample
  ],
};

test('rates: only moving interesting counters, per second over the interval, no lifetime totals as findings', () => {
  const r = computeRates(a, b);
  const byKey = Object.fromEntries(r.map((x) => [`${x.ifname}/${x.counter}`, x]));
  assert.deepEqual(Object.keys(byKey).sort(), ['eno1/rx_csum_err', 'eno1/rx_dropped', 'eno1/tx_timeout']);
  assert.equal(byKey['eno1/rx_dropped']!.perSecond, 2);
  assert.equal(byKey['eno1/rx_dropped']!.delta, 4);
  assert.equal(byKey['eno1/rx_dropped']!.total, 9);
  assert.equal(byKey['eno1/tx_timeout']!.perSecond, 0.5);
  assert.equal(byKey['eno1/rx_csum_err']!.source, 'driver');
});

test('counter findings: one per interface at the severity of its worst counter, tx timeouts implicate tso/gso/sg', () => {
  const f = counterFindings(computeRates(a, b));
  assert.equal(f.length, 1);
  assert.equal(f[0]!.severity, 'critical');
  assert.equal(f[0]!.id, 'counters-tx-timeout');
  assert.ok(f[0]!.features.includes('tx-tcp-segmentation'));
  assert.ok(f[0]!.features.includes('tx-generic-segmentation'));
  assert.match(f[0]!.evidence[0]!, /^tx_timeout: \+1 in the interval \(0\.50\/s; lifetime 3\)/);
  assert.ok(f[0]!.fix.ethtool[0]!.startsWith('ethtool -K eno1 '));
  assert.ok(f[0]!.fix.measure);
});

test('drops alone are info', () => {
  const f = counterFindings([
    { ifname: 'vmbr0', counter: 'rx_dropped', source: 'stats', delta: 10, perSecond: 10, total: 99 },
  ]);
  assert.equal(f[0]!.severity, 'info');
  assert.equal(f[0]!.features.length, 0);
});

test('ethtool -S text parsing', () => {
  const s = parseEthtoolStats(
    'NIC statistics:\n     peer_ifindex: 5\n     rx_queue_0_drops: 12\n     tx_csum err: 3\n',
  );
  assert.deepEqual(s, { peer_ifindex: 5, rx_queue_0_drops: 12, 'tx_csum err': 3 });
});

test('/proc/net/dev parsing (the one-read path for software devices)', () => {
  const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  123456     789    0    0    0     0          0         0   123456     789    0    0    0     0       0          0
tap100i0: 1000 10 1 2 3 4 0 5 2000 20 6 7 8 9 10 0
`;
  const m = parseProcNetDev(text);
  assert.deepEqual([...m.keys()], ['lo', 'tap100i0']);
  assert.deepEqual(m.get('tap100i0'), {
    rx_bytes: 1000,
    rx_packets: 10,
    rx_errors: 1,
    rx_dropped: 2,
    rx_fifo_errors: 3,
    rx_frame_errors: 4,
    multicast: 5,
    tx_bytes: 2000,
    tx_packets: 20,
    tx_errors: 6,
    tx_dropped: 7,
    tx_fifo_errors: 8,
    collisions: 9,
    tx_carrier_errors: 10,
  });
});
