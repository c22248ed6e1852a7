import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, deleteNetns, ipBatch, nsRunOk, uniquePrefix } from '../../src/lab/netns.js';
import { run } from '../../src/kernel/exec.js';
import { cli, ROOT, skipReason } from './helpers/cli.js';
import { startAgent, sleep, type RunningAgent } from './agent-harness.js';
import { oracleFeatures } from './helpers/oracle.js';

/**
 * A real Prometheus (Debian's `prometheus`, own config and TSDB in a temp dir, in a namespace made
 * here, killed by PID) scraping two agents in two other namespaces over veths (one enforcing, one
 * reporting) and one textfile output of `offloadctl audit --prometheus-textfile` (served by a tiny
 * static HTTP server: python3 -m http.server, on the Prometheus namespace's loopback). The rules
 * in deploy/prometheus are loaded from a test copy with `for:` and the evaluation interval
 * shortened. Drift made with `ethtool -K` shows as a firing alert in /api/v1/alerts, and every
 * query of the Grafana dashboard returns data through the HTTP API.
 */
const skip = skipReason('prometheus', 'promtool', 'python3', 'curl');
const DEPLOY = join(ROOT, 'deploy');
const PROM_PORT = 9090;
const FILE_PORT = 9101;

let prefix = '';
let pm = '';
const agentNs: string[] = [];
let textNs = '';
let dir = '';
const agents: RunningAgent[] = [];
const procs: ChildProcess[] = [];

async function startProc(ns: string, argv: string[]): Promise<ChildProcess> {
  // `ip netns exec` execs the program: the child's PID is the program's, killed by PID in after()
  const p = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
  p.once('exit', (code, sig) => {
    if (code && sig === null) process.stderr.write(`${argv[0]} exited ${code}: ${err}\n`);
  });
  procs.push(p);
  return p;
}

/** Topology of an agent host: a bridge, an uplink veth, a Xen-style VM port (a veth named vif5.0), a tap. */
const HOST = [
  'link add br0 type bridge',
  'link add up0 type veth peer name up0p',
  'link set up0 master br0',
  'link add vif5.0 type veth peer name vif5.0-emu',
  'link set vif5.0 master br0',
  'tuntap add mode tap vnet_hdr name vnet0',
  'link set vnet0 master br0',
  'link set br0 up',
  'link set up0 up',
  'link set vif5.0 up',
];

before(async () => {
  if (skip) return;
  prefix = uniquePrefix('prm');
  dir = mkdtempSync(join(tmpdir(), 'olc-prom-'));
  pm = await createNetns(`${prefix}pm`);
  for (const [i, mode] of (['enforce', 'report'] as const).entries()) {
    const ns = await createNetns(`${prefix}a${i + 1}`);
    agentNs.push(ns);
    await ipBatch(ns, HOST);
    await nsRunOk(pm, ['ip', 'link', 'add', `to-a${i + 1}`, 'type', 'veth', 'peer', 'name', 'mgmt0', 'netns', ns]);
    await ipBatch(pm, [`addr add 10.219.${i + 1}.1/24 dev to-a${i + 1}`, `link set to-a${i + 1} up`]);
    await ipBatch(ns, [`addr add 10.219.${i + 1}.2/24 dev mgmt0`, 'link set mgmt0 up']);
    // the reporting host starts compliant, so a change is drift (not "never compliant")
    if (mode === 'report') await cli(['--netns', ns, 'apply', '--yes', '--state-dir', join(dir, 'apply-state')]);
    agents.push(
      await startAgent(ns, ['--mode', mode, '--listen', '0.0.0.0:9469', '--allow-remote', '--resync-interval', '0']),
    );
  }
  // a host without the agent: its audit goes to a textfile
  textNs = await createNetns(`${prefix}t`);
  await ipBatch(textNs, HOST);
  mkdirSync(join(dir, 'textfile'));
  const audit = await cli([
    '--netns',
    textNs,
    'audit',
    '--prometheus-textfile',
    join(dir, 'textfile', 'offloadctl.prom'),
  ]);
  assert.equal(audit.code, 1, `audit finds the deviations (exit 1): ${audit.stderr}`);
});

after(async () => {
  for (const a of agents) await a.stop();
  for (const p of procs) if (p.pid && p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  await Promise.all(
    procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : null)),
  );
  for (const n of [pm, textNs, ...agentNs]) if (n) await deleteNetns(n);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The rules with `for:` and the group intervals shortened (the test copy). */
function shortened(file: string): string {
  return readFileSync(join(DEPLOY, 'prometheus', file), 'utf8')
    .replace(/^(\s+)for: \d+m$/gm, '$1for: 2s')
    .replace(/^(\s+)interval: \d+s$/gm, '$1interval: 1s');
}

async function api(path: string): Promise<{ status: string; data: any }> {
  const out = await nsRunOk(pm, ['curl', '-sf', '--max-time', '20', `http://127.0.0.1:${PROM_PORT}${path}`], {
    timeoutMs: 30_000,
  });
  return JSON.parse(out);
}

async function query(expr: string): Promise<any[]> {
  const r = await api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
  assert.equal(r.status, 'success', expr);
  return r.data.result as any[];
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

test('Prometheus scrapes two agents and a textfile; drift fires an alert; every dashboard query has data', {
  skip,
  timeout: 300_000,
}, async () => {
  // the textfile collector's file: valid exposition, written whole
  const textfile = join(dir, 'textfile', 'offloadctl.prom');
  const check = await run(['promtool', 'check', 'metrics'], { input: readFileSync(textfile, 'utf8') });
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.deepEqual(readdirSync(join(dir, 'textfile')), ['offloadctl.prom'], 'no temporary file left next to it');

  writeFileSync(join(dir, 'alerts.yml'), shortened('offloadctl-alerts.yml'));
  writeFileSync(join(dir, 'rules.yml'), shortened('offloadctl-rules.yml'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    `global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [alerts.yml, rules.yml]
scrape_configs:
  - job_name: offloadctl
    static_configs:
      - targets: ['10.219.1.2:9469']
        labels: {platform: kvm}
      - targets: ['10.219.2.2:9469']
        labels: {platform: xen}
  - job_name: node
    metrics_path: /offloadctl.prom
    static_configs:
      - targets: ['127.0.0.1:${FILE_PORT}']
        labels: {platform: kvm}
`,
  );
  for (const args of [
    ['check', 'config', config],
    ['check', 'rules', join(dir, 'alerts.yml'), join(dir, 'rules.yml')],
  ]) {
    const r = await run(['promtool', ...args]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  }
  await startProc(pm, [
    'python3',
    '-m',
    'http.server',
    '--bind',
    '127.0.0.1',
    '--directory',
    join(dir, 'textfile'),
    String(FILE_PORT),
  ]);
  await startProc(pm, [
    'prometheus',
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${PROM_PORT}`,
    '--log.level=warn',
  ]);

  // all three targets up
  await until('three targets up', async () => {
    const r = await query('up');
    return r.length === 3 && r.every((s) => s.value[1] === '1') && r;
  });

  // a new link on the enforcing host: an enforcement delay is observed
  await ipBatch(agentNs[0]!, ['link add vif6.0 type veth peer name vif6.0-emu', 'link set vif6.0 master br0']);
  // drift on both agent hosts: the enforcing agent turns it back, the reporting one only reports
  for (const ns of agentNs) await nsRunOk(ns, ['ethtool', '-K', 'vif5.0', 'tso', 'on', 'gso', 'on']);
  await until(
    'enforcing agent restored vif5.0',
    async () => (await oracleFeatures(agentNs[0]!, 'vif5.0'))['tx-tcp-segmentation']?.active === false,
  );
  assert.equal(
    (await oracleFeatures(agentNs[1]!, 'vif5.0'))['tx-tcp-segmentation']?.active,
    true,
    'report mode leaves it',
  );

  // the alert fires for the reporting host's vif5.0 (a VM port): drift unresolved, VM port not compliant
  const firing = await until('OffloadctlDriftUnresolved firing', async () => {
    const r = await api('/api/v1/alerts');
    const alerts = r.data.alerts as { labels: Record<string, string>; state: string }[];
    const drift = alerts.find(
      (a) =>
        a.labels.alertname === 'OffloadctlDriftUnresolved' && a.labels.interface === 'vif5.0' && a.state === 'firing',
    );
    const port = alerts.find(
      (a) =>
        a.labels.alertname === 'OffloadctlVmPortNonCompliant' &&
        a.labels.interface === 'vif5.0' &&
        a.state === 'firing',
    );
    return drift && port ? alerts : null;
  });
  const drift = firing.find((a) => a.labels.alertname === 'OffloadctlDriftUnresolved')!;
  assert.equal(drift.labels.instance, '10.219.2.2:9469', 'only the reporting host: the enforcing one brought it back');

  // the per-port drift counter of both hosts counts the one drift of VM port vif5.0 once
  const portDrift = await until('vm port drift series', async () => {
    const r = (await query('offloadctl_vm_port_drift_events_total{interface="vif5.0"}')).map((x) => [
      x.metric.instance,
      x.value[1],
    ]);
    return r.length === 2 && r;
  });
  assert.deepEqual(Object.fromEntries(portDrift), { '10.219.1.2:9469': '1', '10.219.2.2:9469': '1' });

  // every query of the dashboard returns data (the host variable set to all)
  const dash = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'offloadctl-fleet.json'), 'utf8'));
  const exprs: string[] = [];
  for (const p of dash.panels) for (const t of p.targets ?? []) exprs.push(t.expr);
  exprs.push(
    dash.templating.list
      .find((v: { name: string }) => v.name === 'instance')
      .query.query.replace(/^label_values\((.*), instance\)$/, 'count by (instance) ($1)'),
  );
  assert.ok(exprs.length >= 20);
  const empty: string[] = [];
  await until(
    'data for every dashboard query',
    async () => {
      empty.length = 0;
      for (const e of exprs) if ((await query(e.replaceAll('$instance', '.*'))).length === 0) empty.push(e);
      return empty.length === 0;
    },
    120_000,
  ).catch(() => assert.fail(`dashboard queries without data: ${empty.join('\n')}`));

  // the textfile host is in the fleet compliance: its interfaces count per host
  const perHost = await query('instance:offloadctl_interfaces_noncompliant:sum');
  assert.ok(
    perHost.some((s) => s.metric.instance === `127.0.0.1:${FILE_PORT}` && Number(s.value[1]) > 0),
    'the textfile host (never applied) is non-compliant',
  );
});
