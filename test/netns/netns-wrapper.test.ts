import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../../src/lab/netns.js';
import { existsSync } from 'node:fs';
import { CLI, cli, cliIn, skipReason, tmpDir } from './helpers/cli.js';
import { diff, oracleAll } from './helpers/oracle.js';

/**
 * `offloadctl --netns NS cmd` must behave like the command it wraps (src/kernel/reexec.ts):
 * signals reach the real process, its exit status (or death by signal) comes back, and a missing
 * namespace is a usage error. Oracles: the process table (`ip netns pids`, /proc/PID/cmdline), the
 * wait status, `ethtool --json -k`, and the same command run under plain `ip netns exec`.
 */
const skip = skipReason();
let ns = '';
const state = tmpDir('wrap');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  if (skip) return;
  ns = await createNetns(`${uniquePrefix('wrap')}hv`);
  await ipBatch(ns, [
    'link add br0 type bridge',
    'link add v0 type veth peer name v1',
    'link set v0 master br0',
    'tuntap add mode tap vnet_hdr name vnet0',
    'link set vnet0 master br0',
    'link set br0 up',
  ]);
});

after(async () => {
  if (ns) {
    for (const pid of await offloadctlPidsIn(ns)) process.kill(pid, 'SIGKILL'); // only what a failed test left
    await deleteNetns(ns);
  }
  state.remove();
});

/** PIDs of offloadctl processes in the namespace (process-table oracle). */
async function offloadctlPidsIn(name: string): Promise<number[]> {
  const out = await new Promise<string>((resolve) => {
    const c = spawn('ip', ['netns', 'pids', name], { stdio: ['ignore', 'pipe', 'ignore'] });
    let s = '';
    c.stdout.on('data', (b: Buffer) => (s += b.toString()));
    c.on('close', () => resolve(s));
  });
  return out
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('offloadctl');
      } catch {
        return false;
      }
    });
}

interface Running {
  pid: number;
  stderr: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start an agent (report mode, changes nothing), wrapped (`--netns`) or under plain `ip netns exec`. */
function startAgent(wrapped: boolean): Running {
  const args = ['agent', '--mode', 'report', '--listen', '127.0.0.1:0', '--state-dir', state.dir];
  const child = wrapped
    ? spawn(process.execPath, [CLI, '--netns', ns, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn('ip', ['netns', 'exec', ns, process.execPath, CLI, ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, OFFLOADCTL_NETNS: ns },
      });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { pid: child.pid!, stderr: () => err, done };
}

async function waitUntil(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const ready = (a: Running) => waitUntil(() => a.stderr().includes('"agent ready"'), 60_000, 'the agent to be ready');

test('a namespace that does not exist: exit 2 and one line, nothing run', { skip }, async () => {
  const r = await cli(['--netns', `${ns}-missing`, 'status']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^offloadctl: network namespace "[^"]+-missing" does not exist/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('kill -TERM on `--netns NS agent`: no offloadctl left in the namespace, status as the unwrapped agent', {
  skip,
}, async () => {
  // The oracle: the same agent under plain `ip netns exec`, stopped the same way.
  const plain = startAgent(false);
  await ready(plain);
  process.kill(plain.pid, 'SIGTERM');
  const plainStatus = await plain.done;
  await waitUntil(async () => (await offloadctlPidsIn(ns)).length === 0, 10_000, 'the plain agent to go');

  const wrapped = startAgent(true);
  await ready(wrapped);
  const inside = await offloadctlPidsIn(ns);
  assert.equal(inside.length, 1, `one agent process in the namespace: ${inside}`);
  assert.notEqual(inside[0], wrapped.pid, 'the agent runs in a child (ip netns exec) of the wrapper');
  process.kill(wrapped.pid, 'SIGTERM');
  const t0 = Date.now();
  // 2 s on an idle machine; generous here (a shared 2-core machine).
  await waitUntil(
    async () => (await offloadctlPidsIn(ns)).length === 0,
    10_000,
    'no offloadctl process left in the namespace',
  );
  const status = await wrapped.done;
  process.stderr.write(
    `# gone ${Date.now() - t0} ms after SIGTERM; wrapper ${JSON.stringify(status)}, plain ${JSON.stringify(plainStatus)}\n`,
  );
  assert.deepEqual(status, plainStatus, 'the wrapper ends as the unwrapped agent does (0: its clean stop)');
});

test('SIGHUP reaches the agent through the wrapper; a signal the agent dies of kills the wrapper too', {
  skip,
}, async () => {
  const wrapped = startAgent(true);
  await ready(wrapped);
  process.kill(wrapped.pid, 'SIGHUP');
  await waitUntil(() => wrapped.stderr().includes('SIGHUP: reloading policy'), 30_000, 'the reload');
  assert.equal((await offloadctlPidsIn(ns)).length, 1, 'SIGHUP did not end it');
  // The agent has no SIGUSR2 handler: it dies of it, and so must the wrapper (a shell sees 128+12).
  process.kill(wrapped.pid, 'SIGUSR2');
  const status = await wrapped.done;
  assert.deepEqual(status, { code: null, signal: 'SIGUSR2' });
  await waitUntil(async () => (await offloadctlPidsIn(ns)).length === 0, 10_000, 'no offloadctl process left');
});

test('SIGKILL of the child of `--netns apply`: the wrapper dies of SIGKILL (137) and restore is exact', {
  skip,
}, async () => {
  const original = await oracleAll(ns);
  // What a shell reports (killed right after its snapshot: nothing changed yet).
  const sh = await new Promise<string>((resolve) => {
    const c = spawn(
      'sh',
      [
        '-c',
        '"$@"; echo "status $?" >&2',
        'sh',
        process.execPath,
        CLI,
        '--netns',
        ns,
        'apply',
        '--yes',
        '--state-dir',
        state.dir,
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, OFFLOADCTL_TEST_KILL_AFTER: '0' },
      },
    );
    let e = '';
    c.stderr.on('data', (b: Buffer) => (e += b.toString()));
    c.on('close', () => resolve(e));
  });
  assert.match(sh, new RegExp(`status ${128 + constants.signals.SIGKILL}\\n$`), sh);
  assert.deepEqual(diff(original, await oracleAll(ns)), []);

  const child = spawn(process.execPath, [CLI, '--netns', ns, 'apply', '--yes', '--state-dir', state.dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, OFFLOADCTL_TEST_KILL_AFTER: '1' },
  });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const r = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  assert.deepEqual(r, { code: null, signal: 'SIGKILL' }, err);
  assert.ok(diff(original, await oracleAll(ns)).length > 0, 'apply changed something before it was killed');
  const rs = await cliIn(ns, ['restore', '--last', '--yes', '--state-dir', state.dir]);
  assert.equal(rs.code, 0, rs.stderr);
  assert.deepEqual(diff(original, await oracleAll(ns)), []);
});

test('stdin is passed: a policy read from a pipe (--policy -)', { skip }, async () => {
  // A real pipe (Node's 'pipe' stdio is a socket).
  const script = 'printf "name: from-stdin\\nrules:\\n  - features: { gro: on }\\n" | "$@"';
  const child = spawn(
    'sh',
    ['-c', script, 'sh', process.execPath, CLI, '--netns', ns, 'audit', '--json', '--policy', '-'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.ok(code === 0 || code === 1, `exit ${code}: ${err}`);
  assert.equal((JSON.parse(out) as { policy: string }).policy, 'from-stdin');
});

/** A command on a pseudo-terminal (util-linux `script`), fed `input` once `when` shows in its output. */
function onTerminal(command: string, when: RegExp, input: string): Promise<{ out: string; code: number | null }> {
  // `script` runs the command with $SHELL, else /bin/sh. bash, not dash: dash dies of the terminal's
  // SIGINT itself, so `; echo "status $?"` never runs; bash waits and goes on when the child handled
  // it and exited 0 ("wait and cooperative exit"). CI runs without $SHELL, so set it.
  const env = { ...process.env, SHELL: '/bin/bash' };
  const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let out = '';
  let sent = false;
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    if (!sent && when.test(out)) {
      sent = true;
      child.stdin.write(input);
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.on('close', (code) => (clearTimeout(timer), resolve({ out, code }))));
}

const noScript = skip || (existsSync('/usr/bin/script') ? false : 'needs script (util-linux)');

test('a terminal stays a terminal: apply asks through the wrapper; Ctrl-C reaches the agent once', {
  skip: noScript,
}, async () => {
  const q = (s: string) => `'${s}'`;
  const before = await oracleAll(ns);
  const a = await onTerminal(
    `${q(process.execPath)} ${q(CLI)} --netns ${q(ns)} apply --profile offloads-on --state-dir ${q(state.dir)}`,
    /\[y\/N\]/,
    'n\r',
  );
  assert.match(a.out, /nothing changed/, a.out);
  assert.deepEqual(diff(before, await oracleAll(ns)), []);
  // Ctrl-C: the terminal signals the whole foreground process group (wrapper and agent): the agent
  // must get one SIGINT (one "stopping" line), stop cleanly, and leave nothing behind.
  const agent = `${q(process.execPath)} ${q(CLI)} --netns ${q(ns)} agent --mode report --listen 127.0.0.1:0 --state-dir ${q(state.dir)}; echo "status $?"`;
  const r = await onTerminal(agent, /"agent ready"/, '\x03');
  assert.equal((r.out.match(/"stopping"/g) ?? []).length, 1, r.out);
  assert.match(r.out, /status 0/);
  await waitUntil(async () => (await offloadctlPidsIn(ns)).length === 0, 10_000, 'no offloadctl process left');
});
