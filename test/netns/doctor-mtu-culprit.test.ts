/**
 * The doctor names the port that pulled a bridge's MTU down (net/bridge/br_if.c br_mtu_auto_adjust:
 * a bridge takes its ports' minimum), not the ports that kept theirs; and taps no VM has opened
 * (no carrier) are one finding ranked after the real ones. Oracle: `ip -json -d link`,
 * `ethtool --json -k`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createNetns, deleteNetns, ipBatch, nsRun, uniquePrefix } from '../../src/lab/netns.js';
import { cliIn, skipReason } from './helpers/cli.js';
import { oracleFeatures, oracleLinks } from './helpers/oracle.js';

const skip = skipReason('python3');
let ns = '';
let vm: ChildProcessWithoutNullStreams | null = null;
const VIFS = [1, 2, 3, 4, 5, 6, 7].map((i) => `vif${i}.0`);
const IDLE_TAPS = Array.from({ length: 10 }, (_, i) => `tap${200 + i}i0`);

/** A tap opened the way QEMU does for a guest that negotiated checksumming but no TSO: TUNSETOFFLOAD TUN_F_CSUM. */
function openTap(name: string): Promise<ChildProcessWithoutNullStreams> {
  const script = `
import fcntl, os, struct, sys
fd = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', sys.argv[1].encode(), 0x0002 | 0x1000 | 0x4000))  # TUNSETIFF IFF_TAP|IFF_NO_PI|IFF_VNET_HDR
fcntl.ioctl(fd, 0x400454d0, 1)  # TUNSETOFFLOAD: TUN_F_CSUM only
print('ready', flush=True)
sys.stdin.read()
`;
  const child = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', script, name], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', () => resolve(child));
    child.once('exit', (c) => reject(new Error(`tap helper exited ${c}`)));
  });
}

before(async () => {
  if (skip) return;
  ns = await createNetns(`${uniquePrefix('dmtu')}a`);
  await ipBatch(ns, [
    'link add br0 type bridge',
    ...VIFS.flatMap((v) => [`link add ${v} type veth peer name ${v}p`, `link set ${v} master br0`, `link set ${v} up`]),
    ...IDLE_TAPS.flatMap((t) => [
      `tuntap add mode tap vnet_hdr name ${t}`,
      `link set ${t} master br0`,
      `link set ${t} up`,
    ]),
    'link set br0 up',
  ]);
  vm = await openTap('vnet9');
  await ipBatch(ns, ['link set vnet9 master br0', 'link set vnet9 up', 'link set vif2.0 mtu 1400']);
  // An offloads-on policy asked for TSO the guest did not negotiate: requested on, active off.
  // ethtool exits 1 ("Could not change any device features": the active state did not move); the
  // requested bits did, as the oracle shows below.
  await nsRun(ns, ['ethtool', '-K', 'vnet9', 'tso', 'on']);
});

after(async () => {
  if (vm) {
    vm.stdin.end();
    if (vm.exitCode === null) vm.kill('SIGTERM');
  }
  if (ns) await deleteNetns(ns);
});

async function doctor(): Promise<{
  findings: { id: string; severity: string; title: string; interfaces: string[]; dormant?: boolean }[];
}> {
  const r = await cliIn(ns, ['doctor', '--checks', 'topology', '--json']);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

test('one port lowered pulls the bridge down: the doctor names that port, not the others', { skip }, async () => {
  const links = await oracleLinks(ns);
  const mtu = Object.fromEntries(links.map((l) => [l.ifname, l.mtu]));
  const ports = links.filter((l) => l.master === 'br0').map((l) => l.ifname);
  assert.equal(mtu['br0'], 1400, 'setup: br0 followed vif2.0 down (br_mtu_auto_adjust)');
  const culprits = ports.filter((p) => mtu[p] === mtu['br0']);
  assert.deepEqual(culprits, ['vif2.0']);
  const report = await doctor();
  const mtuFindings = report.findings.filter((f) => f.id === 'bridge-port-mtu');
  assert.equal(mtuFindings.length, 1, JSON.stringify(mtuFindings.map((f) => f.title)));
  assert.deepEqual(mtuFindings[0]!.interfaces, [...culprits, 'br0']);
  assert.equal(mtuFindings[0]!.severity, 'error');
  assert.equal(report.findings[0]!.id, 'bridge-port-mtu', 'the real problem comes first');
});

test('taps no VM has opened: one finding, ranked after the tap of a running VM whose guest negotiated nothing', {
  skip,
}, async () => {
  const links = await oracleLinks(ns);
  // Oracle: no carrier = no process has the tap open.
  const idle = links
    .filter((l) => l.linkinfo?.info_kind === 'tun' && l.operstate === 'DOWN')
    .map((l) => l.ifname)
    .sort();
  assert.deepEqual(idle, [...IDLE_TAPS].sort());
  const vnet9 = await oracleFeatures(ns, 'vnet9');
  assert.deepEqual([vnet9['tx-tcp-segmentation']!.active, vnet9['tx-tcp-segmentation']!.requested], [false, true]);
  const report = await doctor();
  const taps = report.findings.filter((f) => f.id === 'tap-offloads-negotiated-away');
  const real = taps.findIndex((f) => f.interfaces.includes('vnet9'));
  const dormant = taps.filter((f) => f.dormant);
  assert.equal(dormant.length, 1, JSON.stringify(taps.map((f) => f.title)));
  assert.deepEqual([...dormant[0]!.interfaces].sort(), idle);
  assert.ok(real >= 0 && !taps[real]!.dormant);
  assert.ok(
    report.findings.indexOf(taps[real]!) < report.findings.indexOf(dormant[0]!),
    "the running VM's tap ranks first",
  );
  assert.equal(report.findings[report.findings.length - 1], dormant[0], 'the idle taps rank last');
});
