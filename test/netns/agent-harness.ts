/**
 * Shared by the agent's netns tests and bench/agent-burst.ts: start `offloadctl agent` inside a
 * namespace (the built CLI, bin/offloadctl), talk to its HTTP API over the namespace's own loopback
 * (curl inside the namespace), and read the oracle (`ethtool --json -k '*'`, one dump).
 */
import { after } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetns, deleteNetns, nsRun, uniquePrefix } from '../../src/lab/netns.js';

export const BIN = fileURLToPath(new URL('../../bin/offloadctl', import.meta.url));
export const TOKEN = 'test-token-0123456789abcdef';

export interface RunningAgent {
  child: ChildProcess;
  port: number;
  dir: string;
  tokenFile: string;
  logs: string[];
  stop(): Promise<number | null>;
}

export interface StartAgentOptions {
  port?: number;
  env?: NodeJS.ProcessEnv;
  tokenMode?: number;
  /** Extra node options before the script (e.g. --cpu-prof); the monitor child inherits them (fork). */
  nodeArgs?: string[];
  /** A command that execs the agent (e.g. `chrt -f 1`, as the systemd unit runs it); it keeps the PID. */
  wrap?: string[];
}

/** Why the agent's netns tests cannot run here, or false: they need root and the built CLI. */
export const agentSkip: string | false =
  process.getuid?.() !== 0
    ? 'needs root (network namespaces)'
    : !existsSync(new URL('../../dist/main.cjs', import.meta.url))
      ? 'needs `npm run build` (runs bin/offloadctl)'
      : false;

export interface AgentNetns {
  /** Create the namespace `<prefix>…a` and start an agent in it (args and opts as startAgent). */
  open(prefix: string, args?: string[], opts?: StartAgentOptions): Promise<{ ns: string; agent: RunningAgent }>;
  /** The agent's exit code once the after hook has stopped it (null when none was started). */
  readonly exitCode: number | null;
}

/**
 * One test file's namespace with an agent in it. Registers an `after` hook (call at the top level
 * of the test file): it stops the agent (SIGTERM) and deletes the namespace. Hooks run in the order
 * registered: register cleanup that must come first (closing a tap) before calling this.
 */
export function agentNetns(): AgentNetns {
  let ns = '';
  let agent: RunningAgent | null = null;
  let exitCode: number | null = null;
  after(async () => {
    exitCode = agent ? await agent.stop() : null;
    if (ns) await deleteNetns(ns);
  });
  return {
    async open(prefix, args = [], opts = {}) {
      ns = await createNetns(`${uniquePrefix(prefix)}a`);
      agent = await startAgent(ns, args, opts);
      return { ns, agent };
    },
    get exitCode() {
      return exitCode;
    },
  };
}

export async function startAgent(ns: string, args: string[] = [], opts: StartAgentOptions = {}): Promise<RunningAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'olc-agent-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, TOKEN + '\n');
  chmodSync(tokenFile, opts.tokenMode ?? 0o600);
  const port = opts.port ?? 9469;
  const argv = [
    'netns',
    'exec',
    ns,
    ...(opts.wrap ?? []),
    process.execPath,
    ...(opts.nodeArgs ?? []),
    BIN,
    'agent',
    '--listen',
    `127.0.0.1:${port}`,
    '--state-dir',
    join(dir, 'state'),
    '--token-file',
    tokenFile,
    ...args,
  ];
  // `ip netns exec` execs the command (and a wrap such as chrt execs node): child.pid is the agent's own PID.
  const child = spawn('ip', argv, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...(opts.env ?? {}) },
  });
  const logs: string[] = [];
  let buf = '';
  child.stderr!.on('data', (b: Buffer) => {
    buf += b.toString('utf8');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      logs.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const agent: RunningAgent = {
    child,
    port,
    dir,
    tokenFile,
    logs,
    async stop() {
      const kill = (sig: NodeJS.Signals) => {
        try {
          if (child.pid && child.exitCode === null && child.signalCode === null) process.kill(child.pid, sig);
        } catch {
          /* already gone */
        }
      };
      try {
        kill('SIGTERM');
        const t = setTimeout(() => kill('SIGKILL'), 5000);
        const code = await exited;
        clearTimeout(t);
        return code;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  // ready: /healthz answers 200 once the first full reconcile is done
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`agent exited ${child.exitCode}: ${logs.join('\n')}`);
    }
    const r = await http(ns, port, 'GET', '/healthz').catch(() => null);
    if (r?.status === 200) break;
    if (Date.now() > deadline) {
      await agent.stop();
      throw new Error(`agent not healthy within 15 s: ${logs.join('\n')}`);
    }
    await sleep(100);
  }
  return agent;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function http(
  ns: string,
  port: number,
  method: string,
  path: string,
  opts: { token?: string; body?: string } = {},
): Promise<{ status: number; text: string }> {
  const argv = ['curl', '-s', '-m', '10', '-o', '-', '-w', '\n%{http_code}', '-X', method];
  if (opts.token !== undefined) argv.push('-H', `Authorization: Bearer ${opts.token}`);
  if (opts.body !== undefined) argv.push('-H', 'content-type: application/json', '--data', opts.body);
  argv.push(`http://127.0.0.1:${port}${path}`);
  const r = await nsRun(ns, argv);
  const i = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(i + 1)), text: r.stdout.slice(0, i) };
}

export async function metricsText(ns: string, port: number): Promise<string> {
  return (await http(ns, port, 'GET', '/metrics')).text;
}

/** `name{labels} value` → value, or null when the series is absent. */
export function metricValue(text: string, series: string): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return null;
}

type OracleFeature = { active: boolean | null; requested: boolean | null; fixed: boolean | null };
export type OracleDevice = { ifname: string } & Record<string, OracleFeature | string>;

/** The oracle: every device's features from one `ethtool --json -k '*'`. */
export async function oracle(ns: string): Promise<Map<string, OracleDevice>> {
  const r = await nsRun(ns, ['ethtool', '--json', '-k', '*']);
  const out = new Map<string, OracleDevice>();
  if (!r.stdout.trim()) return out;
  for (const d of JSON.parse(r.stdout) as OracleDevice[]) out.set(d.ifname, d);
  return out;
}

/** The TSO/GSO bits `tso-gso-off` manages, in ethtool's JSON names. */
export const TSO_GSO = [
  'tx-tcp-segmentation',
  'tx-tcp6-segmentation',
  'tx-tcp-ecn-segmentation',
  'tx-tcp-mangleid-segmentation',
  'tx-tcp-accecn-segmentation',
  'generic-segmentation-offload',
];

/** Names of devices (not lo) where a managed bit is not off as tso-gso-off wants (requested and active). */
export function nonCompliant(devs: Map<string, OracleDevice>, names?: Iterable<string>): string[] {
  const bad: string[] = [];
  for (const name of names ?? devs.keys()) {
    if (name === 'lo') continue;
    const d = devs.get(name);
    if (!d) {
      bad.push(`${name}(absent)`);
      continue;
    }
    for (const f of TSO_GSO) {
      const st = d[f] as OracleFeature | undefined;
      if (!st || st.fixed) continue;
      if (st.requested !== false || st.active !== false) {
        bad.push(`${name}:${f}`);
        break;
      }
    }
  }
  return bad;
}

/** Poll until check() returns true; resolves with the elapsed ms, rejects after timeoutMs. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 50,
): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await check()) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
