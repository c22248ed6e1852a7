import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import {
  builtinSignatures,
  compileSignatures,
  matchMessage,
  parseSignatureFile,
} from '../../../src/doctor/signatures.js';
import { parseLogLine } from '../../../src/doctor/log-line.js';
import { linesOf, scanLog } from '../../../src/doctor/log-scan.js';

/** One or more message texts per signature, with what the match must name. */
const CORPUS: { id: string; msg: string; ifname?: string | null; driver?: string | null }[] = [
  { id: 'bad-offload', msg: 'e1000e: caps=(0x00000010000154a9, 0x0000000000000000)', ifname: 'e1000e' },
  {
    id: 'bad-offload',
    msg: 'tap0: caps=(0x0000000000004000, 0x0000000000000000) len=1514 data_len=0 gso_size=1448 gso_type=1 ip_summed=0',
    ifname: 'tap0',
  },
  { id: 'hw-csum-failure', msg: 'eth0: hw csum failure', ifname: 'eth0' },
  { id: 'hw-csum-failure', msg: '<unknown>: hw csum failure', ifname: null },
  {
    id: 'netdev-watchdog',
    msg: 'e1000e 0000:00:1f.6 eno1: NETDEV WATCHDOG: CPU: 2: transmit queue 0 timed out 5016 ms',
    ifname: 'eno1',
    driver: 'e1000e',
  },
  {
    id: 'netdev-watchdog',
    msg: 'r8169 0000:02:00.0 enp2s0: NETDEV WATCHDOG: CPU: 0: transmit queue 0 timed out 5152 ms',
    ifname: 'enp2s0',
    driver: 'r8169',
  },
  {
    id: 'netdev-watchdog',
    msg: 'NETDEV WATCHDOG: enp0s31f6 (e1000e): transmit queue 0 timed out',
    ifname: 'enp0s31f6',
    driver: 'e1000e',
  },
  {
    id: 'netdev-watchdog',
    msg: 'NETDEV WATCHDOG: eno1 (bnx2x): transmit queue 3 timed out 9000 ms',
    ifname: 'eno1',
    driver: 'bnx2x',
  },
  { id: 'netdev-watchdog', msg: 'NETDEV WATCHDOG: eth0: transmit timed out', ifname: 'eth0' },
  {
    id: 'e1000e-hardware-unit-hang',
    msg: 'e1000e 0000:00:1f.6 nic0: Detected Hardware Unit Hang:',
    ifname: 'nic0',
    driver: 'e1000e',
  },
  {
    id: 'e1000e-reset-adapter',
    msg: 'e1000e 0000:00:1f.6 eno1: Reset adapter unexpectedly',
    ifname: 'eno1',
    driver: 'e1000e',
  },
  { id: 'intel-tx-unit-hang', msg: 'e1000 0000:02:01.0 eth0: Detected Tx Unit Hang', ifname: 'eth0', driver: 'e1000' },
  { id: 'intel-tx-unit-hang', msg: 'igb 0000:01:00.0: Detected Tx Unit Hang', ifname: null, driver: 'igb' },
  { id: 'intel-tx-unit-hang', msg: 'ixgbevf: Detected Tx Unit Hang', ifname: null, driver: 'ixgbevf' },
  {
    id: 'ixgbe-tx-hang-reset',
    msg: 'ixgbe 0000:01:00.0 enp1s0f0: tx hang 1 detected on queue 3, resetting adapter',
    ifname: 'enp1s0f0',
    driver: 'ixgbe',
  },
  {
    id: 'i40e-tx-timeout',
    msg: 'i40e 0000:3b:00.0 eno1: tx_timeout: VSI_seid: 390, Q 6, NTC: 0x1a5, HWB: 0x1a5, NTU: 0x1a9, TAIL: 0x1a9, INT: 0x1',
    ifname: 'eno1',
    driver: 'i40e',
  },
  {
    id: 'tx-timeout-resetting',
    msg: 'tg3 0000:03:00.0 eno2: transmit timed out, resetting',
    ifname: 'eno2',
    driver: 'tg3',
  },
  { id: 'tx-timeout-resetting', msg: 'b44: eth0: transmit timed out, resetting', ifname: 'eth0', driver: 'b44' },
  {
    id: 'bnx2x-tx-timeout',
    msg: 'bnx2x: [bnx2x_panic_dump:923(eno1)]begin crash dump -----------------',
    ifname: 'eno1',
  },
  {
    id: 'bnx2x-tx-timeout',
    msg: 'bnx2x: [bnx2x_tx_timeout:4990(eno2)]Indicating link is down due to Tx-timeout',
    ifname: 'eno2',
  },
  { id: 'bnx2x-tx-timeout', msg: '[bnx2x_panic_dump:923(?)]begin crash dump -----------------', ifname: null },
  {
    id: 'e1000e-tso-disabled-10-100',
    msg: 'e1000e 0000:00:19.0 eth0: 10/100 speed: disabling TSO',
    ifname: 'eth0',
    driver: 'e1000e',
  },
  {
    id: 'e1000e-tso-disabled-10-100',
    msg: 'e1000e 0000:00:19.0: eth0: 10/100 speed: disabling TSO',
    ifname: 'eth0',
    driver: 'e1000e',
  },
  {
    id: 'e1000e-tso-disabled-10-100',
    msg: 'e1000: eth0: e1000_watchdog: 10/100 speed: disabling TSO',
    ifname: 'eth0',
    driver: 'e1000',
  },
  { id: 'virtio-net-bad-gso', msg: 'eth0: bad gso: type: 4, size: 1448', ifname: 'eth0' },
  { id: 'virtio-net-bad-csum', msg: 'eth0: bad csum: flags: 1, gso_type: 1 rx_tnl_csum 0', ifname: 'eth0' },
  { id: 'tun-unexpected-gso', msg: 'tun: unexpected GSO type: 0x4ec1c942, gso_size 20948, hdr_len 3072', ifname: null },
  {
    id: 'tun-unexpected-gso',
    msg: 'tap100i0: unexpected GSO type: 0x1, gso_size 1448, hdr_len 66',
    ifname: 'tap100i0',
  },
  { id: 'xen-netfront-rides-the-rocket', msg: 'xennet: skb rides the rocket: 19 slots, 65226 bytes' },
  { id: 'xen-netfront-rides-the-rocket', msg: 'xennet: skb rides the rocket: 20 frags' },
  {
    id: 'lro-forwarding',
    msg: 'skbuff: enp177s0f1np1: received packets cannot be forwarded while LRO is enabled',
    ifname: 'enp177s0f1np1',
  },
  { id: 'lro-forwarding', msg: 'eth2: received packets cannot be forwarded while LRO is enabled', ifname: 'eth2' },
  { id: 'lro-disable-failed', msg: 'netdevice: eth0: failed to disable LRO!', ifname: 'eth0' },
  { id: 'lro-disable-failed', msg: 'netdevice: bond0 (unregistering): failed to disable LRO!', ifname: 'bond0' },
  { id: 'lro-disable-failed', msg: 'netdevice: eth0: failed to disable GRO_HW!', ifname: 'eth0' },
  {
    id: 'set-features-failed',
    msg: 'mlx5_core 0000:5e:00.0 ens1f0: set_features() failed (-22); wanted 0x000000e1d1c14ba9, left 0x000000e1d1c16ba9',
    ifname: 'ens1f0',
    driver: 'mlx5_core',
  },
  { id: 'mixed-hw-ip-csum', msg: 'unisoc_wifi unisoc_wifi wlan0: mixed HW and IP checksum settings.', ifname: 'wlan0' },
];

/** Real-looking lines that must match nothing. */
const NEAR_MISSES = [
  'e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx',
  'e1000e: eth0 NIC Link is Down',
  'e1000e 0000:00:19.0 eth0: MAC: 6, PHY: 6, PBA No: FFFFFF-0FF',
  'i40e 0000:3b:00.0 eno1: tx_timeout recovery level 1, txqueue 6',
  'IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready',
  'vmbr0: port 2(tap100i0) entered forwarding state',
  'tun: Universal TUN/TAP device driver, 1.6',
  'xen_netfront: Initialising Xen virtual ethernet driver',
  'WARNING: CPU: 3 PID: 0 at net/sched/sch_generic.c:461 dev_watchdog+0x1ee/0x200',
  'skb len=168 headroom=142 headlen=168 tailroom=15754',
  'b44: eth0: Link is up at 100 Mbps, full duplex.',
  'eth0: renamed from veth3f2a1c',
  'virtio_net virtio0 enp1s0: renamed from eth0',
  'bridge: filtering via arp/ip/ip6tables is no longer available by default.',
  'eth0: caps are (0x1, 0x2)',
  'NETDEV WATCHDOG is a timer that fires per device',
  'tx_timeout: handled',
  'bnx2x: [bnx2x_panic_dump:1023(eno1)]queue[0]: rx_bd_prod(0x7e)  rx_bd_cons(0x7f)',
  'bnx2x 0000:03:00.0 eno1: using MSI-X  IRQs: sp 34  fp[0] 36 ... fp[7] 43',
];

const sigs = builtinSignatures();

test('every built-in signature has at least one sample in the corpus', () => {
  const ids = new Set(sigs.map((s) => s.id));
  const covered = new Set(CORPUS.map((c) => c.id));
  assert.deepEqual(
    [...ids].filter((i) => !covered.has(i)),
    [],
  );
});

test('every signature has a cause, features list, severity and a reference', () => {
  for (const s of sigs) {
    assert.ok(s.cause.length > 20, s.id);
    assert.ok(Array.isArray(s.features), s.id);
    assert.ok(s.references.length > 0, s.id);
  }
});

const FORMATS: { name: string; wrap: (m: string) => string }[] = [
  { name: 'kmsg', wrap: (m) => `4,1234,5678901234,-;${m}` },
  { name: 'dmesg', wrap: (m) => `[ 5678.901234] ${m}` },
  { name: 'journalctl short', wrap: (m) => `Nov 25 12:00:00 pve1 kernel: ${m}` },
];

for (const f of FORMATS) {
  test(`corpus matches in ${f.name} format, naming the right interface and driver`, () => {
    for (const c of CORPUS) {
      const p = parseLogLine(f.wrap(c.msg));
      assert.ok(p, c.msg);
      assert.equal(p.message, c.msg, `${f.name}: message extracted`);
      const m = matchMessage(p.message, sigs);
      assert.ok(m, `${f.name}: no match for ${c.msg}`);
      assert.equal(m.signature.id, c.id, c.msg);
      if (c.ifname !== undefined) assert.equal(m.ifname, c.ifname, `ifname of ${c.msg}`);
      if (c.driver !== undefined) assert.equal(m.driver, c.driver, `driver of ${c.msg}`);
    }
  });
  test(`near-misses do not match in ${f.name} format`, () => {
    for (const n of NEAR_MISSES) {
      const p = parseLogLine(f.wrap(n))!;
      assert.equal(matchMessage(p.message, sigs)?.signature.id ?? null, null, n);
    }
  });
}

test('line formats: kmsg, dmesg, dmesg -T, syslog with inner stamp, short-iso, kmsg continuation', () => {
  const k = parseLogLine('6,339,5140900,-;NET: Registered PF_PACKET protocol family')!;
  assert.equal(k.format, 'kmsg');
  assert.equal(k.monotonic, 5.1409);
  assert.equal(k.level, 6);
  assert.equal(k.ident, 'kernel');
  assert.equal(parseLogLine('12,340,5140901,-;systemd[1]: Started')!.ident, 'user', 'kmsg facility 1 is userspace');
  assert.equal(parseLogLine(' SUBSYSTEM=net'), null, 'kmsg dictionary line');
  const t = parseLogLine('[Fri Jul 24 15:23:37 2026] e1000e 0000:00:1f.6 nic0: Detected Hardware Unit Hang:')!;
  assert.equal(t.format, 'dmesg-T');
  assert.equal(new Date(t.wallMs!).getFullYear(), 2026);
  const s = parseLogLine(
    'Dec 27 01:18:10 localhost kernel: [4300570.970000] b44: eth0: transmit timed out, resetting',
    Date.UTC(2026, 11, 28),
  )!;
  assert.equal(s.format, 'syslog');
  assert.equal(s.monotonic, 4300570.97);
  assert.equal(s.message, 'b44: eth0: transmit timed out, resetting');
  const y = parseLogLine('Dec 31 23:00:00 h kernel: x', Date.UTC(2026, 0, 2))!;
  assert.equal(new Date(y.wallMs!).getFullYear(), 2025, 'a December line read in January is last year');
  const iso = parseLogLine('2026-11-25T10:00:05+0000 pve1 kernel: eth0: hw csum failure')!;
  assert.equal(iso.format, 'iso');
  assert.equal(iso.wallMs, Date.UTC(2026, 10, 25, 10, 0, 5));
  assert.equal(parseLogLine('Nov 25 12:00:00 pve1 myscript[123]: eth0: hw csum failure')!.ident, 'myscript');
  assert.equal(parseLogLine('plain message')!.format, 'plain');
});

test('the real-format fixture: each offload line found once, non-kernel idents ignored', async () => {
  const r = await scanLog(
    linesOf(createReadStream(new URL('../../fixtures/kernel-logs/real-format.log', import.meta.url))),
    {
      signatures: sigs,
      source: 'fixture',
    },
  );
  const count = (id: string) => r.hits.filter((h) => h.signature === id).reduce((a, h) => a + h.count, 0);
  assert.equal(count('e1000e-hardware-unit-hang'), 2);
  assert.equal(r.hits.find((h) => h.signature === 'e1000e-hardware-unit-hang')!.ifname, 'nic0');
  assert.equal(count('netdev-watchdog'), 3);
  assert.equal(count('e1000e-tso-disabled-10-100'), 3);
  assert.equal(count('tx-timeout-resetting'), 2);
  assert.equal(count('intel-tx-unit-hang'), 2);
  for (const id of [
    'tun-unexpected-gso',
    'hw-csum-failure',
    'lro-disable-failed',
    'lro-forwarding',
    'mixed-hw-ip-csum',
    'ixgbe-tx-hang-reset',
    'i40e-tx-timeout',
    'bad-offload',
    'virtio-net-bad-gso',
    'virtio-net-bad-csum',
    'xen-netfront-rides-the-rocket',
    'set-features-failed',
  ]) {
    assert.equal(count(id), 1, id);
  }
  assert.equal(
    r.linesMatched,
    r.hits.reduce((a, h) => a + h.count, 0),
  );
});

test('operator signature files: compiled, duplicates and bad regexes rejected', () => {
  const extra = parseSignatureFile(
    JSON.stringify({
      signatures: [
        {
          id: 'my-nic',
          title: 't',
          regex: '^{NETDEV}my firmware fell over',
          features: ['tso'],
          severity: 'error',
          cause: 'c',
          references: [],
        },
      ],
    }),
    'x.json',
  );
  const m = matchMessage('mynic 0000:01:00.0 eth9: my firmware fell over', extra)!;
  assert.equal(m.ifname, 'eth9');
  assert.equal(m.driver, 'mynic');
  assert.throws(
    () =>
      compileSignatures([
        { id: 'a', title: '', regex: '(', features: [], severity: 'error', cause: '', references: [] },
      ]),
    /bad regex/,
  );
  assert.throws(() => parseSignatureFile('{}', 'y.json'), /expected/);
  assert.throws(
    () =>
      compileSignatures([
        { id: 'a', title: '', regex: 'x', features: [], severity: 'bad' as 'error', cause: '', references: [] },
      ]),
    /severity/,
  );
});

test('hang register dumps are kept as context of the first hit; unknown prefixes (Talos, OpenWrt logread) still match', async () => {
  const r = await scanLog(
    linesOf(createReadStream(new URL('../../fixtures/kernel-logs/e1000e-hang-dump.log', import.meta.url))),
    {
      signatures: sigs,
      source: 'fixture',
    },
  );
  const eth0 = r.hits.find((h) => h.signature === 'e1000e-hardware-unit-hang' && h.ifname === 'eth0')!;
  assert.equal(eth0.count, 2);
  assert.equal(eth0.context.length, 8, 'at most CONTEXT_LINES continuation lines');
  assert.equal(eth0.context[0], '[ 9327.470501]   TDH                  <13>');
  assert.equal(r.hits.find((h) => h.signature === 'e1000e-reset-adapter')!.count, 1);
  assert.equal(
    r.hits.find((h) => h.signature === 'e1000e-hardware-unit-hang' && h.ifname === 'eno1')!.context.length,
    1,
    'Talos',
  );
  assert.equal(
    r.hits.find((h) => h.signature === 'e1000e-hardware-unit-hang' && h.ifname === 'eth1')!.context.length,
    1,
    'OpenWrt',
  );
  assert.equal(r.linesMatched, 5);
});
