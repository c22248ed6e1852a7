import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { iperfClientArgs, parseIperfJson } from '../../../src/lab/iperf.js';
import { parseRrReport } from '../../../src/lab/rr.js';
import { busyPercent, parseProcStat } from '../../../src/bench/cpu.js';
import { qemuArgs } from '../../../src/lab/vm/qemu.js';

const fx = (f: string) => readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8');

test('iperf3 TCP report: received throughput, retransmits, client = sender CPU', () => {
  const m = parseIperfJson(fx('iperf-tcp.json'));
  const j = JSON.parse(fx('iperf-tcp.json'));
  assert.equal(m.gbps, j.end.sum_received.bits_per_second / 1e9);
  assert.equal(m.retransmits, j.end.sum_sent.retransmits);
  assert.equal(m.senderCpu, j.end.cpu_utilization_percent.host_total);
  assert.equal(m.receiverCpu, j.end.cpu_utilization_percent.remote_total);
  assert.equal(m.senderCpuPerGbps, m.senderCpu! / m.gbps!);
  assert.equal(m.lossPct, undefined);
});

test('iperf3 -R report: the server sends, so remote CPU is the sender', () => {
  const j = JSON.parse(fx('iperf-tcp-reverse.json'));
  const m = parseIperfJson(fx('iperf-tcp-reverse.json'));
  assert.equal(j.start.test_start.reverse, 1);
  assert.equal(m.senderCpu, j.end.cpu_utilization_percent.remote_total);
  assert.equal(m.receiverCpu, j.end.cpu_utilization_percent.host_total);
});

test('iperf3 UDP report: loss and jitter as the receiver saw them', () => {
  const j = JSON.parse(fx('iperf-udp.json'));
  const m = parseIperfJson(fx('iperf-udp.json'));
  assert.equal(m.lossPct, j.end.sum_received.lost_percent);
  assert.equal(m.jitterMs, j.end.sum_received.jitter_ms);
  assert.equal(m.retransmits, undefined);
});

test('iperf3 errors and garbage are errors, not zeros', () => {
  assert.throws(
    () => parseIperfJson(fx('iperf-refused.json')),
    /iperf3: unable to connect to server: Connection refused/,
  );
  assert.throws(() => parseIperfJson(''), /no JSON/);
  assert.throws(() => parseIperfJson('{}'), /no "end"/);
});

test('iperf3 client argv per test (argv arrays, never a shell string)', () => {
  const o = { duration: 3, udpRate: '500M', streams: 4 };
  assert.deepEqual(iperfClientArgs('tcp', '10.0.0.2', 5201, o), [
    'iperf3',
    '--json',
    '-c',
    '10.0.0.2',
    '-p',
    '5201',
    '-t',
    '3',
  ]);
  assert.deepEqual(iperfClientArgs('tcp-reverse', 'h', 1, o).slice(-1), ['-R']);
  assert.deepEqual(iperfClientArgs('tcp-multi', 'h', 1, o).slice(-2), ['-P', '4']);
  assert.deepEqual(iperfClientArgs('udp', 'h', 1, o).slice(-3), ['-u', '-b', '500M']);
  assert.throws(() => iperfClientArgs('rr', 'h', 1, o));
});

test('rr report: percentiles in µs, errors surface', () => {
  assert.deepEqual(parseRrReport('noise\n{"n":10,"p50":50,"p90":80,"p99":120,"tps":15000}\n'), {
    rttP50Us: 50,
    rttP90Us: 80,
    rttP99Us: 120,
    tps: 15000,
  });
  assert.throws(() => parseRrReport('{"error":"connect ECONNREFUSED"}'), /ECONNREFUSED/);
  assert.throws(() => parseRrReport('{"n":0}'), /no round trips/);
  assert.throws(() => parseRrReport(''), /no report/);
});

test('/proc/stat: busy share between two readings', () => {
  const a = parseProcStat('cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n');
  const b = parseProcStat('cpu  150 0 150 800 100 0 0 0 0 0\n');
  assert.deepEqual(a, { busy: 200, total: 1000 });
  assert.equal(busyPercent(a, b), 50);
  assert.ok(Number.isNaN(busyPercent(a, a)));
  assert.throws(() => parseProcStat('intr 1 2'), /no aggregate/);
});

test('qemu argv: virtio-net on the given tap, no vhost, KVM asks for -cpu host', () => {
  const image = { kernel: '/k', initrd: '/i', kernelPackage: 'x', dir: '/d' };
  const o = { ns: 'hv', tap: 'vnet0', mac: '52:54:00:00:00:01', address: '10.77.2.1/16', image };
  const tcg = qemuArgs(o, 'tcg');
  assert.ok(tcg.includes('tap,id=n0,ifname=vnet0,script=no,downscript=no,vhost=off'));
  assert.ok(tcg.includes('virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01'));
  assert.ok(tcg.some((a) => a.includes('offloadctl.ip=10.77.2.1/16')));
  assert.ok(!tcg.includes('-cpu'));
  const kvm = qemuArgs(o, 'kvm');
  assert.deepEqual(kvm.slice(1, 5), ['-accel', 'kvm', '-cpu', 'host']);
});
