/**
 * `offloadctl doctor --checks counters` in a namespace of its own: a veth whose peer has a smaller
 * MTU drops every oversized packet it forwards (drivers/net/veth.c veth_xmit → __dev_forward_skb →
 * is_skb_forwardable fails → the sender's tx_dropped). A ping flood makes that counter move during
 * the sampling interval; the doctor's rate must agree with the oracle (`ip -s -json link`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createNetns, deleteNetns, ipIn, uniquePrefix } from '../../src/lab/netns.js';
import { cli } from '../unit/doctor/cli-helper.js';

const skip = process.getuid?.() === 0 ? false : 'needs root (network namespaces)';
let ns = '';
let ping: ChildProcess | null = null;

async function txDropped(ifname: string): Promise<number> {
  const l = JSON.parse(await ipIn(ns, ['-s', '-json', 'link', 'show', 'dev', ifname]))[0];
  return l.stats64.tx.dropped as number;
}

before(async () => {
  if (skip) return;
  ns = await createNetns(`${uniquePrefix('docc')}a`);
  await ipIn(ns, ['link', 'add', 'c0a', 'type', 'veth', 'peer', 'name', 'c0b']);
  await ipIn(ns, ['link', 'set', 'c0b', 'mtu', '1280']);
  await ipIn(ns, ['addr', 'add', '10.77.0.1/24', 'dev', 'c0a']);
  for (const d of ['c0a', 'c0b']) await ipIn(ns, ['link', 'set', d, 'up']);
  await ipIn(ns, ['neigh', 'replace', '10.77.0.2', 'lladdr', '02:00:00:00:77:02', 'dev', 'c0a', 'nud', 'permanent']);
});

after(async () => {
  if (ping?.pid && ping.exitCode === null) process.kill(ping.pid, 'SIGTERM');
  if (ns) await deleteNetns(ns);
});

test('moving tx_dropped on a veth: a rate over the interval, matching the oracle; drops alone are info (exit 0)', {
  skip,
}, async () => {
  const before0 = await txDropped('c0a');
  // 1400-byte pings into a peer with MTU 1280: each one is dropped by veth_xmit. Our own process, ended by PID.
  ping = spawn('ip', ['netns', 'exec', ns, 'ping', '-q', '-i', '0.01', '-s', '1400', '-w', '6', '10.77.0.2'], {
    stdio: 'ignore',
  });
  await new Promise((r) => setTimeout(r, 500));
  const r = cli(['doctor', '--checks', 'counters', '--interval', '1', '--json'], {
    prefix: ['ip', 'netns', 'exec', ns],
  });
  const after0 = await txDropped('c0a');
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  const rate = rep.counters.rates.find((x: any) => x.ifname === 'c0a' && x.counter === 'tx_dropped');
  assert.ok(rate, JSON.stringify(rep.counters));
  assert.ok(after0 - before0 >= rate.delta, `oracle moved ${after0 - before0}, doctor saw ${rate.delta}`);
  assert.ok(rate.total >= before0 && rate.total <= after0, 'lifetime total within the oracle readings');
  assert.ok(rate.perSecond > 20 && rate.perSecond < 200, `~100 pings/s, doctor says ${rate.perSecond}/s`);
  const f = rep.findings.find((x: any) => x.id === 'counters-drops' && x.interfaces[0] === 'c0a');
  assert.equal(f.severity, 'info');
  assert.match(f.evidence[0], /^tx_dropped: \+\d+ in the interval/);
});
