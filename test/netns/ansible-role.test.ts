import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ansibleFleet, ansibleSkip as skip, HOSTS, hostNs, playbook, workDir } from './helpers/ansible-hosts.js';
import { oracleAll } from './helpers/oracle.js';

/** The collection's role over SSH to two namespaces (helpers/ansible-hosts.ts); oracle: ethtool --json -k. */
ansibleFleet('anr');

const ROLE_PLAY = `
- hosts: all
  gather_facts: false
  roles:
    - role: offloadctl.hypervisor.offloadctl
      vars:
        offloadctl_mode: enforce
        offloadctl_root: "{{ persist_root }}-role"
        offloadctl_path: "{{ offloadctl_bin }}"
        offloadctl_unit_exec_path: /usr/bin/offloadctl
        offloadctl_state_dir: "{{ state_dir }}"
        offloadctl_persist_targets: [udev]
        offloadctl_agent_service: false
        offloadctl_policy:
          name: role-test
          rules:
            - select: {role: [vm-port]}
              features: {tx_tcp_segmentation: false}
`;

test('the role in enforce mode: policy shipped, applied, persisted, agent unit in enforce mode', {
  skip,
  timeout: 300_000,
}, async () => {
  const r = await playbook('role', ROLE_PLAY);
  assert.equal(r.code, 0, r.raw);
  for (const h of HOSTS) {
    const root = join(workDir(), h, 'root-role');
    const policy = readFileSync(join(root, 'etc/offloadctl/fleet-policy.yaml'), 'utf8');
    assert.match(policy, /tx-tcp-segmentation: 'off'|tx-tcp-segmentation: off/);
    // offloadctl-agent.service, or offloadctl-agent-netns-NS.service where offloadctl names the namespace the agent runs in
    const units = readdirSync(join(root, 'etc/systemd/system')).filter((f) => /^offloadctl-agent.*\.service$/.test(f));
    assert.equal(units.length, 1, units.join(' '));
    const unit = readFileSync(join(root, 'etc/systemd/system', units[0]!), 'utf8');
    assert.match(unit, /^ExecStart=\/usr\/bin\/offloadctl agent /m);
    assert.match(unit, /--mode enforce/);
    assert.match(unit, /--policy \/etc\/offloadctl\/fleet-policy\.yaml/);
    assert.ok(existsSync(join(root, 'etc/udev/rules.d/90-offloadctl-vm-ports.rules')));
    const s = await oracleAll(hostNs(h));
    assert.equal(s['vnet0']!['tx-tcp-segmentation']!.requested, false, `${h}: vnet0 TSO requested off (ethtool)`);
  }
  const again = await playbook('role', ROLE_PLAY);
  assert.equal(again.code, 0, again.raw);
  for (const h of HOSTS) assert.equal(again.stats[h]!.changed, 0, `${h}: role again changed=0`);
});

const AUDIT_PLAY = `
- hosts: all
  gather_facts: false
  roles:
    - role: offloadctl.hypervisor.offloadctl
      vars:
        offloadctl_mode: audit
        offloadctl_root: "{{ persist_root }}-audit"
        offloadctl_path: "{{ offloadctl_bin }}"
        offloadctl_unit_exec_path: /usr/bin/offloadctl
        offloadctl_agent_service: false
        offloadctl_textfile_dir: /var/lib/prometheus/node-exporter
        offloadctl_profile: tso-gso-off
`;

test('the role in audit mode: nothing changes; the textfile for node_exporter and its timer are written', {
  skip,
  timeout: 300_000,
}, async () => {
  const before: Record<string, unknown> = {};
  for (const h of HOSTS) before[h] = await oracleAll(hostNs(h));
  const r = await playbook('role-audit', AUDIT_PLAY);
  assert.equal(r.code, 0, r.raw);
  for (const h of HOSTS) {
    assert.deepEqual(await oracleAll(hostNs(h)), before[h], `${h}: audit mode changed nothing (ethtool)`);
    const root = join(workDir(), h, 'root-audit');
    const prom = readFileSync(join(root, 'var/lib/prometheus/node-exporter/offloadctl.prom'), 'utf8');
    assert.match(prom, /^offloadctl_audit_info\{policy="tso-gso-off"\} 1$/m);
    const unit = readFileSync(join(root, 'etc/systemd/system/offloadctl-textfile.service'), 'utf8');
    assert.match(
      unit,
      /^ExecStart=\/usr\/bin\/offloadctl audit --policy \/etc\/offloadctl\/fleet-policy.yaml --prometheus-textfile \/var\/lib\/prometheus\/node-exporter\/offloadctl.prom$/m,
    );
    assert.match(
      readFileSync(join(root, 'etc/systemd/system/offloadctl-textfile.timer'), 'utf8'),
      /OnUnitActiveSec=60s/,
    );
    assert.match(readFileSync(join(root, 'etc/offloadctl/fleet-policy.yaml'), 'utf8'), /^name: tso-gso-off$/m);
  }
});
