import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, deleteNetns, ipBatch, nsRunOk, uniquePrefix } from '../../src/lab/netns.js';
import { run, runOk } from '../../src/kernel/exec.js';
import { CLI, ROOT, skipReason } from './helpers/cli.js';
import { oracleAll, type State } from './helpers/oracle.js';

/**
 * The Ansible collection (ansible/ansible_collections/offloadctl/hypervisor) driven by a real
 * ansible-playbook over SSH: two "hosts", each a namespace made here with its own sshd (own config,
 * host key and authorized_keys in a temp dir, listening on the namespace's address) and its own
 * state directory; ansible-playbook runs in a third namespace connected by veths. The modules call
 * the checkout's bin/offloadctl. Oracle: `ethtool --json -k` in each host namespace.
 */
const skip = skipReason('ansible-playbook', '/usr/sbin/sshd', 'ssh-keygen', 'ansible-doc');
const HOSTS = ['h1', 'h2'] as const;
type Host = (typeof HOSTS)[number];
const ADDR: Record<Host, string> = { h1: '10.218.1.2', h2: '10.218.2.2' };
const COLLECTIONS = join(ROOT, 'ansible');

let prefix = '';
let ctl = '';
const ns: Record<string, string> = {};
let dir = '';
const sshd: ChildProcess[] = [];
let initial: Record<string, State> = {};

const HOST_TOPOLOGY = [
  'link add br0 type bridge',
  'link add up0 type veth peer name up0p',
  'link set up0 master br0',
  'tuntap add mode tap vnet_hdr name vnet0',
  'link set vnet0 master br0',
  'link set br0 up',
  'link set up0 up',
];

before(async () => {
  if (skip) return;
  prefix = uniquePrefix('ans');
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
  for (const h of HOSTS) await waitForSsh(h);
  writeFileSync(join(dir, 'inventory.yml'), JSON.stringify(inventory()));
  initial = await kernelState();
});

after(async () => {
  for (const p of sshd) if (p.pid && p.exitCode === null) p.kill('SIGTERM');
  await Promise.all(sshd.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : null)));
  for (const n of [ctl, ...Object.values(ns)]) if (n) await deleteNetns(n);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

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
  // Each exec replaces the previous program: the child's PID is sshd's, killed by PID in after().
  const p = spawn(
    'ip',
    ['netns', 'exec', ns[h]!, 'unshare', '-m', 'sh', '-c', 'mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd && exec /usr/sbin/sshd -D -e -f "$0"', config],
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
    const r = await run(['ip', 'netns', 'exec', ctl, 'ssh', ...sshArgs(), `root@${ADDR[h]}`, 'true'], { timeoutMs: 20_000 });
    if (r.code === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`sshd of ${h} did not answer`);
}

function sshArgs(): string[] {
  return ['-i', join(dir, 'client_key'), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR'];
}

function inventory(): unknown {
  const hosts: Record<string, unknown> = {};
  for (const h of HOSTS) hosts[h] = { ansible_host: ADDR[h], state_dir: join(dir, h, 'state'), persist_root: join(dir, h, 'root'), ansible_remote_tmp: join(dir, h, 'remote-tmp') };
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
const POLICY_PLAY = `
- hosts: all
  gather_facts: false
  vars:
    inline:
      name: fleet-test
      rules:
        - select: {}
          features:
            tx_tcp_segmentation: false
            tx_generic_segmentation: no
  tasks:
    - name: offload policy
      offloadctl.hypervisor.offload_policy:
        policy: "{{ (broken_host | default('') == inventory_hostname) | ternary('/nonexistent/policy.yaml', inline) }}"
        state_dir: "{{ state_dir }}"
        offloadctl_path: "{{ offloadctl_bin }}"
`;

const RESTORE_PLAY = `
- hosts: all
  gather_facts: false
  tasks:
    - name: restore
      offloadctl.hypervisor.offload_policy:
        state: restored
        snapshot: last
        state_dir: "{{ state_dir }}"
        offloadctl_path: "{{ offloadctl_bin }}"
`;

const FACTS_PERSIST_PLAY = `
- hosts: all
  gather_facts: false
  tasks:
    - name: facts
      offloadctl.hypervisor.offload_facts:
        offloadctl_path: "{{ offloadctl_bin }}"
    - name: persist
      offloadctl.hypervisor.offload_persist:
        targets: [udev]
        profile: tso-gso-off
        root: "{{ persist_root }}"
        offloadctl_path: "{{ offloadctl_bin }}"
`;

interface HostResult {
  changed?: boolean;
  failed?: boolean;
  msg?: string;
  diff?: { before: string; after: string } | { before: string; after: string }[];
  snapshot?: string;
  ansible_facts?: { offloadctl: { interfaces: Record<string, { role: string; features: Record<string, boolean> }>; roles: Record<string, string[]> } };
  [k: string]: unknown;
}
interface PlayRun {
  code: number | null;
  stats: Record<string, { changed: number; failures: number; ok: number; unreachable: number }>;
  /** task name → host → result */
  tasks: Record<string, Record<string, HostResult>>;
  raw: string;
}

async function playbook(name: string, text: string, ...args: string[]): Promise<PlayRun> {
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
  const r = await run(['ip', 'netns', 'exec', ctl, 'ansible-playbook', '-i', join(dir, 'inventory.yml'), file, ...args], { env, timeoutMs: 180_000 });
  let parsed: { stats: PlayRun['stats']; plays: { tasks: { task: { name: string }; hosts: Record<string, HostResult> }[] }[] };
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
    for (const [h, res] of Object.entries(hosts)) if (res.failed || res.unreachable) failed.push(`${h} ${task}: ${res.msg ?? ''} ${String(res.stderr ?? '').slice(0, 500)}`);
  return { code: r.code, stats: parsed.stats, tasks, raw: `${failed.join('\n')}\n${r.stderr.slice(0, 2000)}` };
}

async function kernelState(): Promise<Record<string, State>> {
  const out: Record<string, State> = {};
  for (const h of HOSTS) {
    const all = await oracleAll(ns[h]!);
    delete all['mgmt0']; // the management link is the policy's too, but it is not what the assertions are about
    out[h] = all;
  }
  return out;
}

const TSO_IFACES = ['br0', 'up0', 'up0p', 'vnet0'];

function requestedOff(s: State): boolean {
  return TSO_IFACES.every((i) => s[i]?.['tx-tcp-segmentation']?.requested === false && s[i]?.['tx-generic-segmentation']?.requested === false);
}

test('ansible-doc renders every module of the collection (and the filter)', { skip }, async () => {
  for (const m of ['offload_policy', 'offload_facts', 'offload_persist']) {
    const r = await run(['ansible-doc', `offloadctl.hypervisor.${m}`], { env: { ...process.env, HOME: dir, ANSIBLE_COLLECTIONS_PATH: COLLECTIONS }, timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${m}: ${r.stderr}`);
    assert.match(r.stdout, /OPTIONS/);
    assert.match(r.stdout, /EXAMPLES/);
    assert.match(r.stdout, /RETURN VALUES/);
  }
  const f = await run(['ansible-doc', '-t', 'filter', 'offloadctl.hypervisor.offload_policy_names'], { env: { ...process.env, HOME: dir, ANSIBLE_COLLECTIONS_PATH: COLLECTIONS }, timeoutMs: 60_000 });
  assert.equal(f.code, 0, f.stderr);
});

test('over SSH to two namespaces: check, a failing host, apply, idempotence, facts, persist, restore', { skip, timeout: 600_000 }, async () => {
  // --check --diff: plan only; the kernel is untouched; the diff names the features
  const check = await playbook('policy', POLICY_PLAY, '--check', '--diff');
  assert.equal(check.code, 0, check.raw);
  assert.deepEqual(await kernelState(), initial, '--check changed nothing in the kernel');
  for (const h of HOSTS) {
    const res = check.tasks['offload policy']![h]!;
    assert.equal(res.changed, true, `${h}: check mode reports what would change`);
    const diff = res.diff as { before: string; after: string };
    assert.match(diff.after, /tx-tcp-segmentation: off/);
    assert.match(diff.before, /tx-tcp-segmentation: on/);
    assert.match(diff.after, /^vnet0:$/m);
  }

  // h2 fails (its policy file does not exist); h1 goes on and changes
  const broken = await playbook('policy', POLICY_PLAY, '--diff', '-e', 'broken_host=h2');
  assert.notEqual(broken.code, 0);
  assert.equal(broken.stats.h1!.changed, 1, broken.raw);
  assert.equal(broken.stats.h1!.failures, 0);
  assert.equal(broken.stats.h2!.failures, 1);
  assert.match(broken.tasks['offload policy']!.h1!.snapshot ?? '', /^\d{8}-\d{6}-/);
  const afterBroken = await kernelState();
  assert.ok(requestedOff(afterBroken.h1!), 'h1: TSO and GSO requested off (ethtool)');
  assert.deepEqual(afterBroken.h2, initial.h2, 'h2 untouched');

  // the full run: only h2 changes; the kernel agrees
  const first = await playbook('policy', POLICY_PLAY);
  assert.equal(first.code, 0, first.raw);
  assert.equal(first.stats.h1!.changed, 0);
  assert.equal(first.stats.h2!.changed, 1);
  const applied = await kernelState();
  assert.deepEqual(applied.h1, afterBroken.h1, 'h1 unchanged by the second run');
  assert.ok(requestedOff(applied.h2!), 'h2: TSO and GSO requested off (ethtool)');

  // again: changed=0 everywhere, kernel as it was
  const second = await playbook('policy', POLICY_PLAY);
  assert.equal(second.code, 0, second.raw);
  for (const h of HOSTS) assert.equal(second.stats[h]!.changed, 0, `${h}: second run changed=0`);
  assert.deepEqual(await kernelState(), applied);

  // facts, and persist in check mode (diff of the file it would write, nothing written), then for real
  const persistCheck = await playbook('facts', FACTS_PERSIST_PLAY, '--check', '--diff');
  assert.equal(persistCheck.code, 0, persistCheck.raw);
  for (const h of HOSTS) {
    const facts = persistCheck.tasks['facts']![h]!.ansible_facts!.offloadctl;
    assert.ok(facts.roles['vm-port']?.includes('vnet0'), `${h}: vnet0 is a VM port`);
    assert.equal(facts.interfaces['br0']!.role, 'bridge');
    assert.equal(facts.interfaces['up0']!.features['tx-generic-segmentation'], applied[h]!['up0']!['tx-generic-segmentation']!.active);
    const p = persistCheck.tasks['persist']![h]!;
    assert.equal(p.changed, true);
    const diffs = p.diff as { before: string; after: string }[];
    assert.ok(diffs.some((d) => d.before === '' && /offloadctl:persist target=udev/.test(d.after)), `${h}: diff shows the udev rule`);
    assert.ok(!existsSync(join(dir, h, 'root')), `${h}: check mode wrote nothing`);
  }
  const persist = await playbook('facts', FACTS_PERSIST_PLAY);
  assert.equal(persist.code, 0, persist.raw);
  for (const h of HOSTS) assert.ok(existsSync(join(dir, h, 'root/etc/udev/rules.d/90-offloadctl-vm-ports.rules')));
  const persistAgain = await playbook('facts', FACTS_PERSIST_PLAY);
  for (const h of HOSTS) assert.equal(persistAgain.stats[h]!.changed, 0, `${h}: persist again changed=0`);

  // restore in check mode changes nothing but says it would
  const restoreCheck = await playbook('restore', RESTORE_PLAY, '--check', '--diff');
  assert.equal(restoreCheck.code, 0, restoreCheck.raw);
  for (const h of HOSTS) assert.equal(restoreCheck.tasks['restore']![h]!.changed, true);
  assert.deepEqual(await kernelState(), applied);

  // restore through the module: the exact earlier state, requested and active bits
  const restore = await playbook('restore', RESTORE_PLAY);
  assert.equal(restore.code, 0, restore.raw);
  for (const h of HOSTS) assert.equal(restore.stats[h]!.changed, 1);
  assert.deepEqual(await kernelState(), initial, 'every feature of every interface as before');
});

const ROLE_PLAY = `
- hosts: all
  gather_facts: false
  roles:
    - role: offloadctl.hypervisor.offloadctl
      vars:
        offloadctl_mode: enforce
        offloadctl_root: "{{ persist_root }}-role"
        offloadctl_path: "{{ offloadctl_bin }}"
        offloadctl_state_dir: "{{ state_dir }}"
        offloadctl_persist_targets: [udev]
        offloadctl_agent_service: false
        offloadctl_policy:
          name: role-test
          rules:
            - select: {role: [vm-port]}
              features: {tx_tcp_segmentation: false}
`;

test('the role in enforce mode: policy shipped, applied, persisted, agent unit in enforce mode', { skip, timeout: 300_000 }, async () => {
  const r = await playbook('role', ROLE_PLAY);
  assert.equal(r.code, 0, r.raw);
  for (const h of HOSTS) {
    const root = join(dir, h, 'root-role');
    const policy = readFileSync(join(root, "etc/offloadctl/fleet-policy.yaml"), "utf8");
    assert.match(policy, /tx-tcp-segmentation: 'off'|tx-tcp-segmentation: off/);
    const unit = readFileSync(join(root, 'etc/systemd/system/offloadctl-agent.service'), 'utf8');
    assert.match(unit, /--mode enforce/);
    assert.match(unit, /--policy \/etc\/offloadctl\/fleet-policy\.yaml/);
    assert.ok(existsSync(join(root, 'etc/udev/rules.d/90-offloadctl-vm-ports.rules')));
    const s = await oracleAll(ns[h]!);
    assert.equal(s['vnet0']!['tx-tcp-segmentation']!.requested, false, `${h}: vnet0 TSO requested off (ethtool)`);
  }
  const again = await playbook('role', ROLE_PLAY);
  assert.equal(again.code, 0, again.raw);
  for (const h of HOSTS) assert.equal(again.stats[h]!.changed, 0, `${h}: role again changed=0`);
});
