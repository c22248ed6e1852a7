/**
 * Ansible over SSH to network namespaces, for the collection's netns tests (not a test file): two
 * "hosts", each a namespace made here with its own sshd (own config, host key and authorized_keys
 * in a temp dir, listening on the namespace's address) and its own state directory;
 * ansible-playbook runs in a third namespace connected by veths. The modules call the checkout's
 * bin/offloadctl. `ansibleFleet()` registers the before/after hooks of the calling test file.
 */
import { after, before } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, deleteNetns, ipBatch, nsRunOk, uniquePrefix } from '../../../src/lab/netns.js';
import { run, runOk } from '../../../src/kernel/exec.js';
import { CLI, ROOT, skipReason } from './cli.js';
import { oracleAll, type State } from './oracle.js';

export const ansibleSkip = skipReason(
  'ansible-playbook',
  '/usr/sbin/sshd',
  'ssh-keygen',
  'ansible-doc',
  'ansible-lint',
);
export const COLLECTIONS = join(ROOT, 'ansible');
export const HOSTS = ['h1', 'h2'] as const;
export type Host = (typeof HOSTS)[number];
const ADDR: Record<Host, string> = { h1: '10.218.1.2', h2: '10.218.2.2' };

let prefix = '';
let ctl = '';
const ns: Record<string, string> = {};
let dir = '';
const sshd: ChildProcess[] = [];
let initial: Record<string, State> = {};
/** Kernel state of every host before any playbook ran. */
export function initialState(): Record<string, State> {
  return initial;
}
export function hostNs(h: Host): string {
  return ns[h]!;
}
export function workDir(): string {
  return dir;
}

const HOST_TOPOLOGY = [
  'link add br0 type bridge',
  'link add up0 type veth peer name up0p',
  'link set up0 master br0',
  'tuntap add mode tap vnet_hdr name vnet0',
  'link set vnet0 master br0',
  'link set br0 up',
  'link set up0 up',
];

export function ansibleFleet(tag: string): void {
  before(async () => {
    if (ansibleSkip) return;
    prefix = uniquePrefix(tag);
    dir = mkdtempSync(join(tmpdir(), 'olc-ansible-'));
    ctl = await createNetns(`${prefix}ctl`);
    await runOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
    for (const [i, h] of HOSTS.entries()) {
      ns[h] = await createNetns(`${prefix}${h}`);
      await ipBatch(ns[h]!, HOST_TOPOLOGY);
      // the control namespace reaches each host over its own veth pair
      await nsRunOk(ctl, ['ip', 'link', 'add', `to-${h}`, 'type', 'veth', 'peer', 'name', 'mgmt0', 'netns', ns[h]!]);
      await ipBatch(ctl, [`addr add 10.218.${i + 1}.1/24 dev to-${h}`, `link set to-${h} up`]);
      await ipBatch(ns[h]!, [`addr add ${ADDR[h]}/24 dev mgmt0`, 'link set mgmt0 up']);
      sshd.push(await startSshd(h));
    }
    const t0 = Date.now();
    for (const h of HOSTS) await waitForSsh(h);
    if (process.env.OFFLOADCTL_TEST_VERBOSE) process.stderr.write(`sshd ready after ${Date.now() - t0} ms\n`);
    writeFileSync(join(dir, 'inventory.yml'), JSON.stringify(inventory()));
    initial = await kernelState();
    if (process.env.OFFLOADCTL_TEST_VERBOSE) process.stderr.write(`before() done after ${Date.now() - t0} ms\n`);
  });

  after(async () => {
    await closeSshMasters();
    for (const p of sshd) if (p.pid && p.exitCode === null) p.kill('SIGTERM');
    await Promise.all(
      sshd.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : null)),
    );
    for (const n of [ctl, ...Object.values(ns)]) if (n) await deleteNetns(n);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * ansible's SSH connection masters (ControlPersist) would outlive the test by a minute and keep the
 * test runner waiting: `ssh -O exit` on each control socket.
 */
async function closeSshMasters(): Promise<void> {
  let socks: string[] = [];
  try {
    socks = readdirSync(join(dir, 'cp'));
  } catch {
    return;
  }
  for (const s of socks)
    await run(
      ['ip', 'netns', 'exec', ctl, 'ssh', '-o', `ControlPath=${join(dir, 'cp', s)}`, '-O', 'exit', 'placeholder'],
      { timeoutMs: 10_000 },
    );
}

/** sshd of host h: own config, host key, authorized_keys; /run/sshd (privilege separation) on a private tmpfs. */
async function startSshd(h: Host): Promise<ChildProcess> {
  const d = join(dir, h);
  mkdirSync(join(d, 'state'), { recursive: true });
  await runOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(d, 'host_key')]);
  writeFileSync(join(d, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  const config = join(d, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress ${ADDR[h]}:22`,
      `HostKey ${join(d, 'host_key')}`,
      `AuthorizedKeysFile ${join(d, 'authorized_keys')}`,
      `PidFile ${join(d, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      '',
    ].join('\n'),
  );
  const netnsKeep = join(d, 'netns-keep');
  mkdirSync(netnsKeep);
  // Each exec replaces the previous program: the child's PID is sshd's, killed by PID in after().
  const p = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns[h]!,
      'unshare',
      '-m',
      'sh',
      '-c',
      // /run/netns is carried over (moved back after the tmpfs) so `ip netns` and offloadctl see the names
      'mount --rbind /run/netns "$1" && mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd /run/netns && mount --move "$1" /run/netns && exec /usr/sbin/sshd -D -e -f "$0"',
      config,
      netnsKeep,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  p.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  p.once('exit', (code) => {
    if (code) process.stderr.write(`sshd ${h} exited ${code}: ${err}\n`);
  });
  return p;
}

async function waitForSsh(h: Host): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await run(['ip', 'netns', 'exec', ctl, 'ssh', ...sshArgs(), `root@${ADDR[h]}`, 'true'], {
      timeoutMs: 20_000,
    });
    if (r.code === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`sshd of ${h} did not answer`);
}

function sshArgs(): string[] {
  return [
    '-i',
    join(dir, 'client_key'),
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'LogLevel=ERROR',
  ];
}

function inventory(): unknown {
  const hosts: Record<string, unknown> = {};
  for (const h of HOSTS)
    hosts[h] = {
      ansible_host: ADDR[h],
      state_dir: join(dir, h, 'state'),
      persist_root: join(dir, h, 'root'),
      ansible_remote_tmp: join(dir, h, 'remote-tmp'),
    };
  return {
    all: {
      hosts,
      vars: {
        ansible_user: 'root',
        ansible_ssh_private_key_file: join(dir, 'client_key'),
        ansible_ssh_common_args: '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null',
        ansible_python_interpreter: '/usr/bin/python3',
        offloadctl_bin: CLI,
      },
    },
  };
}

/** The playbook: offload_policy with an inline policy in linux-system-roles' spelling. */

export interface HostResult {
  changed?: boolean;
  failed?: boolean;
  msg?: string;
  diff?: { before: string; after: string } | { before: string; after: string }[];
  snapshot?: string;
  ansible_facts?: {
    offloadctl: {
      interfaces: Record<string, { role: string; features: Record<string, boolean> }>;
      roles: Record<string, string[]>;
    };
  };
  [k: string]: unknown;
}
export interface PlayRun {
  code: number | null;
  stats: Record<string, { changed: number; failures: number; ok: number; unreachable: number }>;
  /** task name → host → result */
  tasks: Record<string, Record<string, HostResult>>;
  raw: string;
}

export async function playbook(name: string, text: string, ...args: string[]): Promise<PlayRun> {
  const file = join(dir, `${name}.yml`);
  writeFileSync(file, text);
  const env = {
    ...process.env,
    HOME: dir,
    ANSIBLE_COLLECTIONS_PATH: COLLECTIONS,
    ANSIBLE_STDOUT_CALLBACK: 'test_json',
    ANSIBLE_CALLBACK_PLUGINS: join(ROOT, 'test/fixtures/ansible/callback_plugins'),
    ANSIBLE_LOCAL_TEMP: join(dir, 'local-tmp'),
    ANSIBLE_SSH_CONTROL_PATH_DIR: join(dir, 'cp'),
    ANSIBLE_HOST_KEY_CHECKING: 'False',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_PIPELINING: 'True',
  };
  const t0 = Date.now();
  const r = await run(
    ['ip', 'netns', 'exec', ctl, 'ansible-playbook', '-i', join(dir, 'inventory.yml'), file, ...args],
    { env, timeoutMs: 180_000 },
  );
  if (process.env.OFFLOADCTL_TEST_VERBOSE)
    process.stderr.write(`ansible-playbook ${name} ${args.join(' ')}: ${Date.now() - t0} ms\n`);
  let parsed: {
    stats: PlayRun['stats'];
    plays: { tasks: { task: { name: string }; hosts: Record<string, HostResult> }[] }[];
  };
  try {
    parsed = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
  } catch {
    throw new Error(`ansible-playbook ${name}: no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  const tasks: PlayRun['tasks'] = {};
  for (const p of parsed.plays) for (const t of p.tasks) tasks[t.task.name] = t.hosts;
  // what went wrong, short: the failed tasks' messages (the assertion messages print `raw`)
  const failed: string[] = [];
  for (const [task, hosts] of Object.entries(tasks))
    for (const [h, res] of Object.entries(hosts))
      if (res.failed || res.unreachable)
        failed.push(`${h} ${task}: ${res.msg ?? ''} ${String(res.stderr ?? '').slice(0, 500)}`);
  return { code: r.code, stats: parsed.stats, tasks, raw: `${failed.join('\n')}\n${r.stderr.slice(0, 2000)}` };
}

export async function kernelState(): Promise<Record<string, State>> {
  const out: Record<string, State> = {};
  for (const h of HOSTS) {
    const all = await oracleAll(ns[h]!);
    delete all['mgmt0']; // the management link is the policy's too, but it is not what the assertions are about
    out[h] = all;
  }
  return out;
}
