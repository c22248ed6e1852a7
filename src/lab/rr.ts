import { run } from '../kernel/exec.js';
import type { Metrics } from './traffic-metrics.js';
import { startListening, type ServerHandle } from './iperf.js';

/**
 * Request/response latency: a 1-byte TCP ping-pong against an echo server (Debian has no netperf;
 * this is the TCP_RR idea in a few lines). Client and server are small Node programs run with
 * `node -e` inside the namespaces, so they work from the bundled CLI and from the sources alike; in a
 * vm guest the echo server is busybox `nc -ll -e cat`. Node adds some tens of µs per round trip, the
 * same for every profile: compare profiles with each other, not with netperf figures.
 */

const SERVER = `
const net = require('node:net');
const [port, host] = process.argv.slice(1);
const srv = net.createServer((s) => { s.setNoDelay(true); s.on('data', (d) => s.write(d)); s.on('error', () => {}); });
srv.listen(Number(port), host || undefined, () => console.log('rr listening'));
process.on('SIGTERM', () => process.exit(0));
`;

const CLIENT = `
const net = require('node:net');
const [host, port, seconds] = process.argv.slice(1);
const rtts = [];
const s = net.connect({ host, port: Number(port) });
s.setNoDelay(true);
const msg = Buffer.from('x');
let t0 = 0; let end = 0;
s.on('connect', () => { end = Date.now() + Number(seconds) * 1000; t0 = process.hrtime.bigint(); s.write(msg); });
s.on('data', () => {
  const t = process.hrtime.bigint();
  rtts.push(Number(t - t0) / 1000);
  if (Date.now() >= end) { s.end(); return report(); }
  t0 = process.hrtime.bigint(); s.write(msg);
});
s.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(1); });
function q(a, p) { const i = (a.length - 1) * p; const lo = Math.floor(i), hi = Math.ceil(i); return a[lo] + (a[hi] - a[lo]) * (i - lo); }
function report() {
  const a = Float64Array.from(rtts).sort();
  const total = rtts.reduce((x, y) => x + y, 0);
  console.log(JSON.stringify({ n: a.length, p50: q(a, 0.5), p90: q(a, 0.9), p99: q(a, 0.99), tps: a.length / (total / 1e6) }));
  process.exit(0);
}
`;

const inNs = (ns: string | null, argv: string[]) => (ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv);

/** Start the Node echo server in ns on port (bound to host when given). */
export function startRrServer(ns: string | null, port: number, host?: string): Promise<ServerHandle> {
  return startListening(
    inNs(ns, [process.execPath, '-e', SERVER, String(port), host ?? '']),
    /rr listening/,
    'rr echo server',
  );
}

/** Parse the client's one-line JSON report (pure). */
export function parseRrReport(text: string): Metrics {
  const line = text.trim().split('\n').pop() ?? '';
  let j: { error?: string; n?: number; p50?: number; p90?: number; p99?: number; tps?: number };
  try {
    j = JSON.parse(line);
  } catch {
    throw new Error(`rr client printed no report: ${text.trim().slice(0, 200) || '(empty)'}`);
  }
  if (j.error) throw new Error(`rr: ${j.error}`);
  if (!j.n) throw new Error('rr: no round trips completed');
  return { rttP50Us: j.p50, rttP90Us: j.p90, rttP99Us: j.p99, tps: j.tps };
}

/** Ping-pong for `seconds` against an echo server at host:port. */
export async function runRrClient(ns: string | null, host: string, port: number, seconds: number): Promise<Metrics> {
  const r = await run(inNs(ns, [process.execPath, '-e', CLIENT, host, String(port), String(seconds)]), {
    timeoutMs: (seconds + 15) * 1000,
  });
  return parseRrReport(r.stdout);
}
