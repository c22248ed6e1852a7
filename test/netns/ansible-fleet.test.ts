import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { after } from 'node:test';
import { createNetns, deleteNetns, ipBatch, nsRunOk, uniquePrefix } from '../../src/lab/netns.js';
import { join } from 'node:path';
import { run } from '../../src/kernel/exec.js';
import {
  ansibleFleet,
  ansibleSkip,
  COLLECTIONS,
  HOSTS,
  hostNs,
  initialState,
  kernelState,
  playbook,
  workDir,
} from './helpers/ansible-hosts.js';
import { CLI, skipReason } from './helpers/cli.js';
import { oracleFeatures, type State } from './helpers/oracle.js';

/**
 * The Ansible collection's modules (ansible/ansible_collections/offloadctl/hypervisor) driven by a
 * real ansible-playbook over SSH to two namespaces with their own sshd (helpers/ansible-hosts.ts).
 * Oracle: `ethtool --json -k` in each host namespace.
 */
ansibleFleet('ans');
const skip = ansibleSkip || skipReason('iperf3');

// The canary test's iperf3 server: in a "guest" namespace behind a veth of h1 (killed by PID).
let guest = '';
let iperf: ChildProcess | null = null;
after(async () => {
  if (iperf?.pid && iperf.exitCode === null && iperf.signalCode === null) {
    iperf.kill('SIGTERM');
    await new Promise((r) => iperf!.once('exit', r));
  }
  if (guest) await deleteNetns(guest);
});

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
        libvirt_dir: "{{ persist_root }}-libvirt"
    - name: persist
      offloadctl.hypervisor.offload_persist:
        targets: [udev]
        profile: tso-gso-off
        root: "{{ persist_root }}"
        offloadctl_path: "{{ offloadctl_bin }}"
`;

const TSO_IFACES = ['br0', 'up0', 'up0p', 'vnet0'];

function requestedOff(s: State): boolean {
  return TSO_IFACES.every(
    (i) => s[i]?.['tx-tcp-segmentation']?.requested === false && s[i]?.['tx-generic-segmentation']?.requested === false,
  );
}

test('ansible-doc renders every module of the collection (and the filter)', { skip }, async () => {
  for (const m of ['offload_policy', 'offload_facts', 'offload_persist']) {
    const r = await run(['ansible-doc', `offloadctl.hypervisor.${m}`], {
      env: { ...process.env, HOME: workDir(), ANSIBLE_COLLECTIONS_PATH: COLLECTIONS },
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, `${m}: ${r.stderr}`);
    assert.match(r.stdout, /OPTIONS/);
    assert.match(r.stdout, /EXAMPLES/);
    assert.match(r.stdout, /RETURN VALUES/);
  }
  const f = await run(['ansible-doc', '-t', 'filter', 'offloadctl.hypervisor.offload_policy_names'], {
    env: { ...process.env, HOME: workDir(), ANSIBLE_COLLECTIONS_PATH: COLLECTIONS },
    timeoutMs: 60_000,
  });
  assert.equal(f.code, 0, f.stderr);
});

test("ansible-lint (Debian's, offline) passes on the collection", { skip }, async () => {
  const r = spawnSync('ansible-lint', ['--offline', '--nocolor'], {
    env: { ...process.env, HOME: workDir(), ANSIBLE_COLLECTIONS_PATH: COLLECTIONS },
    timeout: 180_000,
    cwd: join(COLLECTIONS, 'ansible_collections/offloadctl/hypervisor'),
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('over SSH to two namespaces: check, a failing host, apply, idempotence, facts, persist, restore', {
  skip,
  timeout: 600_000,
}, async () => {
  // --check --diff: plan only; the kernel is untouched; the diff names the features
  const check = await playbook('policy', POLICY_PLAY, '--check', '--diff');
  assert.equal(check.code, 0, check.raw);
  assert.deepEqual(await kernelState(), initialState(), '--check changed nothing in the kernel');
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
  assert.deepEqual(afterBroken.h2, initialState().h2, 'h2 untouched');

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

  // facts (with a libvirt domain status XML naming vnet0's VM), and persist in check mode (diff of the
  // file it would write, nothing written), then for real
  for (const h of HOSTS) {
    mkdirSync(join(workDir(), h, 'root-libvirt'), { recursive: true });
    writeFileSync(
      join(workDir(), h, 'root-libvirt', `web-${h}.xml`),
      `<domstatus state='running'><domain type='kvm' id='7'><name>web-${h}</name><uuid>0b7d2a4e-0000-4000-8000-00000000000${h.slice(1)}</uuid><devices><interface type='bridge'><mac address='52:54:00:00:00:0${h.slice(1)}'/><target dev='vnet0'/></interface></devices></domain></domstatus>`,
    );
  }
  const persistCheck = await playbook('facts', FACTS_PERSIST_PLAY, '--check', '--diff');
  assert.equal(persistCheck.code, 0, persistCheck.raw);
  for (const h of HOSTS) {
    const facts = persistCheck.tasks['facts']![h]!.ansible_facts!.offloadctl;
    assert.ok(facts.roles['vm-port']?.includes('vnet0'), `${h}: vnet0 is a VM port`);
    assert.deepEqual(
      (facts as unknown as { vms: Record<string, string[]> }).vms,
      { [`web-${h}`]: ['vnet0'] },
      `${h}: VM → its ports`,
    );
    assert.equal(facts.interfaces['br0']!.role, 'bridge');
    assert.equal(
      facts.interfaces['up0']!.features['tx-generic-segmentation'],
      applied[h]!['up0']!['tx-generic-segmentation']!.active,
    );
    const p = persistCheck.tasks['persist']![h]!;
    assert.equal(p.changed, true);
    const diffs = p.diff as { before: string; after: string }[];
    assert.ok(
      diffs.some((d) => d.before === '' && /offloadctl:persist target=udev/.test(d.after)),
      `${h}: diff shows the udev rule`,
    );
    assert.ok(!existsSync(join(workDir(), h, 'root')), `${h}: check mode wrote nothing`);
  }
  const persist = await playbook('facts', FACTS_PERSIST_PLAY);
  assert.equal(persist.code, 0, persist.raw);
  for (const h of HOSTS)
    assert.ok(existsSync(join(workDir(), h, 'root/etc/udev/rules.d/90-offloadctl-vm-ports.rules')));
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
  assert.deepEqual(await kernelState(), initialState(), 'every feature of every interface as before');
});

const GUARD_PLAY = `
- hosts: all
  gather_facts: false
  serial: 1
  max_fail_percentage: 0
  tasks:
    - name: canary
      offloadctl.hypervisor.offload_policy:
        profile: tso-gso-off
        guard: true
        guard_server: 10.220.0.2
        guard_threshold: 10%
        guard_duration: 2
        guard_repeat: 3
        state_dir: "{{ state_dir }}"
        offloadctl_path: "{{ offloadctl_bin }}"
`;

test('canaries: apply --guard through the module; a regression restores the snapshot, fails the task and stops the rollout', {
  skip,
  timeout: 300_000,
}, async () => {
  // h1's traffic to its iperf3 server leaves through veth gv0: TSO/GSO off there costs ~4x (kernel-facts)
  guest = await createNetns(`${uniquePrefix('ansg')}g`);
  await nsRunOk(hostNs('h1'), ['ip', 'link', 'add', 'gv0', 'type', 'veth', 'peer', 'name', 'gv0p', 'netns', guest]);
  await ipBatch(hostNs('h1'), ['addr add 10.220.0.1/24 dev gv0', 'link set gv0 up']);
  await ipBatch(guest, ['addr add 10.220.0.2/24 dev gv0p', 'link set gv0p up']);
  iperf = spawn('ip', ['netns', 'exec', guest, 'iperf3', '-s', '-B', '10.220.0.2'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1000));
  const before = await kernelState();
  const r = await playbook('guard', GUARD_PLAY);
  assert.notEqual(r.code, 0, 'the play stops at the canary');
  const canary = r.tasks['canary']!;
  assert.equal(canary.h1?.failed, true, r.raw);
  const guard = canary.h1!.guard as {
    rolledBack: boolean;
    rollbackOk: boolean;
    regressed: boolean;
    before: number[];
    after: number[];
  };
  assert.equal(guard.rolledBack, true, JSON.stringify(guard));
  if (process.env.OFFLOADCTL_TEST_VERBOSE) process.stderr.write(`guard: ${JSON.stringify(guard)}\n`);
  assert.equal(guard.rollbackOk, true);
  assert.match(String(canary.h1!.msg), /regressed beyond 10%; snapshot \S+ restored/);
  assert.equal(canary.h2, undefined, 'h2 never ran: max_fail_percentage 0 after the failed canary');
  assert.deepEqual(await kernelState(), before, 'h1 restored to exactly its state before; h2 untouched (ethtool)');
});

test('netns and state_dir pass through to the CLI: a local connection applies and restores in a namespace', {
  skip,
  timeout: 120_000,
}, async () => {
  const ns = hostNs('h2');
  const common = `netns: ${JSON.stringify(ns)}\n        offloadctl_path: ${JSON.stringify(CLI)}`;
  const stateDir = JSON.stringify(join(workDir(), 'local-state'));
  const play = `
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: facts
      offloadctl.hypervisor.offload_facts:
        interfaces: [vnet0]
        ${common}
    - name: apply
      offloadctl.hypervisor.offload_policy:
        profile: tso-gso-off
        interfaces: [vnet0]
        state_dir: ${stateDir}
        ${common}
    - name: restore
      offloadctl.hypervisor.offload_policy:
        state: restored
        snapshot: last
        state_dir: ${stateDir}
        ${common}
`;
  const before = await oracleFeatures(ns, 'vnet0');
  const r = await playbook('local', play);
  assert.equal(r.code, 0, r.raw);
  assert.equal(r.tasks['facts']!.localhost!.ansible_facts!.offloadctl.roles['vm-port']?.[0], 'vnet0');
  assert.equal(r.tasks['apply']!.localhost!.changed, true);
  const changes = r.tasks['apply']!.localhost!.changes as Record<string, Record<string, boolean>>;
  assert.equal(changes['vnet0']?.['tx-generic-segmentation'], false);
  assert.equal(r.tasks['restore']!.localhost!.snapshot, r.tasks['apply']!.localhost!.snapshot);
  assert.deepEqual(await oracleFeatures(ns, 'vnet0'), before, 'restored (ethtool)');
});
