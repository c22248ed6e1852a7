import { spawn, type ChildProcess } from 'node:child_process';
import { run } from '../kernel/exec.js';
import type { Metrics, TestName } from './traffic-metrics.js';
import { stopChild } from './child.js';

/**
 * iperf3 as the traffic generator (the field's tool; offloadctl does not write its own).
 * Client and server run in namespaces the caller names (null = the current namespace), always as
 * argv arrays. Output is iperf3's --json, parsed here into the bench's metrics.
 */

export interface IperfOptions {
  /** Seconds of traffic per run. */
  duration: number;
  /** UDP target rate as iperf3 takes it (-b), e.g. "1G", "500M". */
  udpRate?: string;
  /** Parallel streams for tcp-multi. */
  streams?: number;
}

const inNs = (ns: string | null, argv: string[]) => (ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv);

/** The iperf3 client argv for one test (pure). */
export function iperfClientArgs(test: TestName, server: string, port: number, o: IperfOptions): string[] {
  const a = ['iperf3', '--json', '-c', server, '-p', String(port), '-t', String(o.duration)];
  switch (test) {
    case 'tcp':
      break;
    case 'tcp-reverse':
      a.push('-R');
      break;
    case 'tcp-multi':
      a.push('-P', String(o.streams ?? 4));
      break;
    case 'udp':
      a.push('-u', '-b', o.udpRate ?? '1G');
      break;
    case 'rr':
      throw new Error('rr is not an iperf3 test (see src/lab/rr.ts)');
  }
  return a;
}

interface IperfEnd {
  sum_sent?: { bits_per_second?: number; retransmits?: number };
  sum_received?: { bits_per_second?: number; jitter_ms?: number; lost_percent?: number };
  sum?: { bits_per_second?: number; jitter_ms?: number; lost_percent?: number };
  cpu_utilization_percent?: { host_total?: number; remote_total?: number };
}
interface IperfJson {
  error?: string;
  start?: { test_start?: { reverse?: number; protocol?: string } };
  end?: IperfEnd;
}

/**
 * Metrics from an iperf3 --json client report (pure). iperf3's host_total is the client's CPU,
 * remote_total the server's; with -R the server is the sender, so the two swap roles.
 */
export function parseIperfJson(text: string): Metrics {
  let j: IperfJson;
  try {
    j = JSON.parse(text) as IperfJson;
  } catch {
    throw new Error(`iperf3 printed no JSON: ${text.trim().slice(0, 200) || '(empty)'}`);
  }
  if (j.error) throw new Error(`iperf3: ${j.error}`);
  const end = j.end;
  if (!end) throw new Error('iperf3 report has no "end" section');
  const reverse = j.start?.test_start?.reverse === 1;
  const udp = j.start?.test_start?.protocol === 'UDP';
  const cpu = end.cpu_utilization_percent ?? {};
  const m: Metrics = {};
  const recv = end.sum_received ?? end.sum;
  if (recv?.bits_per_second !== undefined) m.gbps = recv.bits_per_second / 1e9;
  if (udp) {
    if (recv?.lost_percent !== undefined) m.lossPct = recv.lost_percent;
    if (recv?.jitter_ms !== undefined) m.jitterMs = recv.jitter_ms;
  } else if (end.sum_sent?.retransmits !== undefined) {
    m.retransmits = end.sum_sent.retransmits;
  }
  const clientCpu = cpu.host_total;
  const serverCpu = cpu.remote_total;
  const sender = reverse ? serverCpu : clientCpu;
  const receiver = reverse ? clientCpu : serverCpu;
  if (sender !== undefined) m.senderCpu = sender;
  if (receiver !== undefined) m.receiverCpu = receiver;
  if (m.gbps && m.gbps > 0) {
    if (sender !== undefined) m.senderCpuPerGbps = sender / m.gbps;
    if (receiver !== undefined) m.receiverCpuPerGbps = receiver / m.gbps;
  }
  return m;
}

export interface ServerHandle {
  pid: number;
  stop(): Promise<void>;
}

/**
 * Start a long-running `iperf3 -s` (one test at a time, sequential clients are fine) and wait until
 * it listens. `ip netns exec` execs iperf3 in place, so the PID is iperf3's own.
 */
export function startIperfServer(ns: string | null, port: number, bind?: string): Promise<ServerHandle> {
  const argv = inNs(ns, ['iperf3', '-s', '--forceflush', '-p', String(port), ...(bind ? ['-B', bind] : [])]);
  return startListening(argv, /Server listening/, 'iperf3 server');
}

/** Spawn a server process and resolve once `ready` shows on its output; reject if it exits first. */
export function startListening(argv: string[], ready: RegExp, what: string, timeoutMs = 5000): Promise<ServerHandle> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    const timer = setTimeout(
      () => finish(new Error(`${what} did not start within ${timeoutMs} ms: ${out.trim()}`)),
      timeoutMs,
    );
    const handle: ServerHandle = {
      pid: child.pid ?? -1,
      stop: () => stopChild(child, 2000),
    };
    function finish(err: Error | null) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else resolve(handle);
    }
    const onData = (b: Buffer) => {
      out += b.toString();
      if (ready.test(out)) finish(null);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', (e) => finish(e));
    child.on('exit', (code) => finish(new Error(`${what} exited (${code}) before listening: ${out.trim()}`)));
  });
}

/** Run one iperf3 client test and return its metrics. Retries once when the server is still busy. */
export async function runIperfClient(
  ns: string | null,
  test: TestName,
  server: string,
  port: number,
  o: IperfOptions,
): Promise<Metrics> {
  const argv = inNs(ns, iperfClientArgs(test, server, port, o));
  for (let attempt = 0; ; attempt++) {
    const r = await run(argv, { timeoutMs: (o.duration + 20) * 1000 });
    try {
      return parseIperfJson(r.stdout);
    } catch (e) {
      const msg = (e as Error).message;
      if (attempt < 2 && /busy|Connection refused|unable to connect/i.test(msg)) {
        await new Promise((res) => setTimeout(res, 500));
        continue;
      }
      throw e;
    }
  }
}
