#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: offload_policy
short_description: Apply, audit or restore a NIC offload policy with offloadctl
version_added: "0.1.0"
description:
  - Drives C(offloadctl apply), C(offloadctl plan), C(offloadctl audit) and C(offloadctl restore) through their
    C(--json) output on the target host.
  - C(state=applied) changes the requested offload bits (TSO, GSO, GRO, SG, checksums ...) of the selected
    interfaces as the policy says. offloadctl snapshots the earlier state durably first, verifies the result,
    and rolls back on failure. The result carries the snapshot id, which C(state=restored) takes back.
  - In check mode C(state=applied) runs C(offloadctl plan) and changes nothing.
  - C(changed) is true only when the kernel's feature bits changed.
  - With C(--diff), each changed interface is shown with its features, before and after (requested bits).
  - Features the device cannot change (fixed) are reported in C(fixed), not as failures.
  - Feature names in an inline policy may be written as offloadctl/ethtool names (C(tso), C(tx-tcp-segmentation))
    or in linux-system-roles' spelling (C(tx_tcp_segmentation)); values as on/off or booleans.
author:
  - offloadctl developers
requirements:
  - offloadctl on the target (see C(offloadctl_path)), which needs Node.js 20
  - root (CAP_NET_ADMIN) for C(state=applied) and C(state=restored)
options:
  state:
    description:
      - C(applied) makes the interfaces comply with the policy (C(offloadctl apply)).
      - C(audited) only compares (C(offloadctl audit)); never changes anything; C(changed) is always false.
      - C(restored) returns the interfaces of snapshot C(snapshot) to their recorded state (C(offloadctl restore)).
    type: str
    choices: [applied, audited, restored]
    default: applied
  profile:
    description:
      - A built-in profile (C(offloadctl profiles) lists them), for example C(tso-gso-off), C(tso-gso-sg-off),
        C(offloads-on). Mutually exclusive with C(policy).
      - Neither C(profile) nor C(policy) means offloadctl's default profile C(tso-gso-off).
    type: str
  policy:
    description:
      - A policy file on the target (a path), or an inline policy (a dictionary in the format of offloadctl's
        policy files, with C(rules), each with C(select), optional C(exclude) and C(features)).
      - An inline policy is written to a private temporary file on the target and removed afterwards.
    type: raw
  interfaces:
    description:
      - Only these interfaces (names or globs such as C(vnet*), C(tap*i*)). Empty means every interface the
        policy selects.
    type: list
    elements: str
    default: []
  snapshot:
    description:
      - With C(state=restored), the snapshot id to restore (from an earlier result's C(snapshot)), or C(last)
        for the newest snapshot taken in this network namespace.
    type: str
    default: last
  keep_going:
    description:
      - With C(state=applied), keep the changes of interfaces that succeeded when another fails
        (C(--keep-going)); by default offloadctl rolls back everything.
    type: bool
    default: false
  guard:
    description:
      - With C(state=applied), a canary run (C(offloadctl apply --guard)) that benchmarks before and after the
        change and restores the snapshot automatically when the metric regressed beyond C(guard_threshold).
        The task then fails with C(guard.rolledBack=true), so C(max_fail_percentage) or C(serial) stops the
        rollout. Needs C(guard_server) or C(guard_lab). Not in check mode (nothing is measured).
    type: bool
    default: false
  guard_server:
    description:
      - iperf3 server (C(host[:port])) the canary measures against (C(--guard-server)).
    type: str
  guard_lab:
    description:
      - Measure between the guest namespaces of this offloadctl lab (C(--guard-lab)), for tests.
    type: str
  guard_metric:
    description:
      - The test that decides (C(--guard-metric)).
    type: str
    choices: [tcp, tcp-reverse, tcp-multi, udp, rr]
    default: tcp
  guard_threshold:
    description:
      - Allowed worsening of the guard metric, for example C(10%) (C(--guard-threshold)).
    type: str
    default: 10%
  guard_duration:
    description:
      - Seconds per guard run (C(--guard-duration)).
    type: int
    default: 3
  guard_repeat:
    description:
      - Guard runs before and after (C(--guard-repeat)).
    type: int
    default: 3
  strict:
    description:
      - With C(state=audited), count deviating fixed features as non-compliance (C(--strict)).
    type: bool
    default: false
  fail_on_deviation:
    description:
      - With C(state=audited), fail the task when the host does not comply.
    type: bool
    default: false
  state_dir:
    description:
      - Where offloadctl keeps snapshots and journals (C(--state-dir)). Defaults to offloadctl's own default,
        C(/var/lib/offloadctl).
    type: path
  libvirt_dir:
    description:
      - libvirt domain status XML directory, for VM ownership (C(--libvirt-dir)).
    type: path
extends_documentation_fragment:
  - offloadctl.hypervisor.common
notes:
  - Supports check mode (C(state=applied) runs C(offloadctl plan); C(state=restored) compares the snapshot with
    the current requested bits) and diff mode.
seealso:
  - module: offloadctl.hypervisor.offload_facts
  - module: offloadctl.hypervisor.offload_persist
'''

EXAMPLES = r'''
- name: TSO and GSO off on every VM port and bridge (the common virtio advice)
  offloadctl.hypervisor.offload_policy:
    profile: tso-gso-off
  register: offloads

- name: Inline policy, linux-system-roles feature names accepted
  offloadctl.hypervisor.offload_policy:
    policy:
      name: xen-vifs
      rules:
        - select: {name: "vif*"}
          features:
            tx_tcp_segmentation: false
            generic_segmentation_offload: off
            sg: off
    interfaces: ["vif*"]

- name: Audit only; fail the play on a non-compliant host
  offloadctl.hypervisor.offload_policy:
    state: audited
    policy: /etc/offloadctl/policy.yaml
    fail_on_deviation: true

- name: Canary hosts first, benchmarked; a regression restores the snapshot and fails the task
  offloadctl.hypervisor.offload_policy:
    profile: tso-gso-off
    guard: true
    guard_server: 192.0.2.10
    guard_threshold: 5%

- name: Undo the change this play made
  offloadctl.hypervisor.offload_policy:
    state: restored
    snapshot: "{{ offloads.snapshot }}"
'''

RETURN = r'''
snapshot:
  description: Id of the snapshot taken before the change (C(state=applied)) or restored (C(state=restored)).
  returned: when a snapshot was taken or restored
  type: str
  sample: 20261206-144813-797-0d04
changes:
  description: Per interface, the features set (requested bits after the change); in check mode, what would be set.
  returned: state=applied or state=restored
  type: dict
  sample: {"vnet0": {"tx-tcp-segmentation": false, "tx-generic-segmentation": false}}
fixed:
  description: Features the policy wants otherwise but the device cannot change (reported, not failures).
  returned: always
  type: list
  elements: dict
  sample: [{"ifname": "tap100i0", "feature": "tx-tcp-accecn-segmentation", "detail": "fixed off"}]
held:
  description: Features requested as wanted but held otherwise by the kernel (a dependency, a tap's owner).
  returned: always
  type: list
  elements: dict
compliant:
  description: Whether the interfaces comply with the policy (after the change for state=applied).
  returned: state=applied or state=audited
  type: bool
guard:
  description: With C(guard=true), the canary's measurements and decision (before/after values, regressed, rolledBack).
  returned: when guard=true
  type: dict
report:
  description: offloadctl's JSON report as printed (apply, plan, audit or restore).
  returned: always
  type: dict
'''

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.offloadctl.hypervisor.plugins.module_utils.offloadctl import (
    COMMON_ARGS, base_argv, changes_diff, cleanup, policy_argv, run_json)


def skipped_of(report, reason):
    return [dict((k, s[k]) for k in ('ifname', 'feature', 'detail') if k in s)
            for s in (report or {}).get('skipped', []) if s.get('reason') == reason]


def iface_args(p):
    argv = []
    for glob in p['interfaces']:
        argv += ['--interface', glob]
    return argv


def state_dir_args(p):
    return ['--state-dir', p['state_dir']] if p.get('state_dir') else []


def libvirt_args(p):
    return ['--libvirt-dir', p['libvirt_dir']] if p.get('libvirt_dir') else []


def applied(module):
    p = module.params
    tmp = []
    try:
        pol = policy_argv(module, tmp)
        if module.check_mode:
            # plan exits 1 when changes are planned
            rc, plan, _ = run_json(module, base_argv(module) + ['plan', '--json'] + pol + iface_args(p) + libvirt_args(p), ok_codes=(0, 1))
            sets = dict((c['ifname'], c['set']) for c in plan.get('changes', []))
            result = dict(changed=bool(sets), changes=sets, fixed=skipped_of(plan, 'fixed'), held=skipped_of(plan, 'held'),
                          compliant=not sets, report=plan)
        else:
            argv = base_argv(module) + ['apply', '--yes', '--json'] + pol + iface_args(p) + state_dir_args(p) + libvirt_args(p)
            if p['keep_going']:
                argv.append('--keep-going')
            if p['guard']:
                if not (p.get('guard_server') or p.get('guard_lab')):
                    module.fail_json(msg='guard needs guard_server or guard_lab')
                argv += ['--guard', '--guard-metric', p['guard_metric'], '--guard-threshold', p['guard_threshold'],
                         '--guard-duration', str(p['guard_duration']), '--guard-repeat', str(p['guard_repeat'])]
                argv += ['--guard-server', p['guard_server']] if p.get('guard_server') else ['--guard-lab', p['guard_lab']]
            rc, rep, err = run_json(module, argv, ok_codes=(0, 1))
            if rep is None:
                module.fail_json(msg='offloadctl apply printed no JSON: %s' % err.strip(), rc=rc)
            counts = rep.get('counts', {})
            sets = dict((r['ifname'], r.get('set', {})) for r in rep.get('results', []) if r.get('status') == 'changed')
            result = dict(changed=counts.get('changed', 0) > 0, changes=sets, fixed=skipped_of(rep, 'fixed'),
                          held=skipped_of(rep, 'held'), compliant=rc == 0, report=rep)
            if rep.get('snapshot'):
                result['snapshot'] = rep['snapshot']
            if rep.get('guard'):
                result['guard'] = rep['guard']
                if rep['guard'].get('rolledBack'):
                    # the kernel is back where it was (verified by offloadctl when rollbackOk)
                    result['changed'] = False
                    module.fail_json(msg='guard: %s regressed beyond %s; snapshot %s restored (verified: %s)' % (
                        p['guard_metric'], p['guard_threshold'], rep['guard'].get('snapshot'), rep['guard'].get('rollbackOk')), rc=rc, **result)
            if rc != 0:
                failed = [r for r in rep.get('results', []) if r.get('status') == 'failed']
                module.fail_json(msg='offloadctl apply failed on %d interface(s) (status %s)' % (len(failed), rep.get('status')),
                                 rc=rc, **result)
        if module._diff and sets:
            result['diff'] = changes_diff(sets, 'offloads')
        return result
    finally:
        cleanup(tmp)


def audited(module):
    p = module.params
    tmp = []
    try:
        argv = base_argv(module) + ['audit', '--json'] + policy_argv(module, tmp) + iface_args(p) + libvirt_args(p)
        if p['strict']:
            argv.append('--strict')
        rc, rep, _ = run_json(module, argv, ok_codes=(0, 1))
        findings = rep.get('findings', [])
        result = dict(changed=False, compliant=bool(rep.get('compliant')), findings=findings,
                      fixed=[f for f in findings if f.get('fixed')],
                      held=[], summary=rep.get('summary'), report=rep)
        if p['fail_on_deviation'] and not result['compliant']:
            module.fail_json(msg='not compliant with policy %s: %d deviating interface(s)' % (
                rep.get('policy'), (rep.get('summary') or {}).get('deviating', 0)), **result)
        return result
    finally:
        cleanup(tmp)


def netns_id(module):
    """The 'net:[inode]' of the namespace offloadctl runs in (snapshots name theirs)."""
    path = os.path.join('/run/netns', module.params['netns']) if module.params.get('netns') else '/proc/self/ns/net'
    return 'net:[%d]' % os.stat(path).st_ino


def bits(hexstr, i):
    return (int(hexstr[i // 4], 16) >> (i % 4)) & 1 == 1


def restore_preview(module, snap_id):
    """Check mode of state=restored: the snapshot's recorded requested bits against the current ones."""
    p = module.params
    state_dir = p.get('state_dir') or '/var/lib/offloadctl'
    if snap_id == 'last':
        _, lst, _ = run_json(module, base_argv(module) + ['snapshots', '--json'] + state_dir_args(p))
        mine = [s for s in lst or [] if s.get('netnsId') == netns_id(module)]
        if not mine:
            module.fail_json(msg='no snapshot taken in this network namespace under %s' % state_dir)
        snap_id = mine[-1]['id']
    try:
        with open(os.path.join(state_dir, 'snapshots', snap_id + '.json')) as f:
            snap = json.load(f)
    except (IOError, OSError, ValueError) as e:
        module.fail_json(msg='snapshot %s: %s' % (snap_id, e))
    if snap.get('version') != 2:
        module.fail_json(msg='snapshot %s: format %s is not previewable in check mode' % (snap_id, snap.get('version')))
    _, status, _ = run_json(module, base_argv(module) + ['status', '--json', '--all'])
    now = dict((i['name'], i) for i in status.get('interfaces', []))
    names = snap['features']
    sets = {}
    for rec in snap['interfaces']:
        cur = now.get(rec['name'])
        if not cur or cur.get('ifindex') != rec['ifindex']:
            continue  # vanished or replaced: restore leaves it alone
        want = {}
        for i, feature in enumerate(names):
            if not bits(rec['recorded'], i) or feature not in cur['features']:
                continue
            req = bits(rec['requested'], i)
            if cur['features'][feature]['requested'] != req:
                want[feature] = req
        if want:
            sets[rec['name']] = want
    return snap_id, sets


def restored(module):
    p = module.params
    snap = p['snapshot'] or 'last'
    if module.check_mode:
        snap_id, sets = restore_preview(module, snap)
        result = dict(changed=bool(sets), snapshot=snap_id, changes=sets, fixed=[], held=[], report={})
    else:
        argv = base_argv(module) + ['restore', '--yes', '--json'] + state_dir_args(p)
        argv += ['--last'] if snap == 'last' else [snap]
        rc, rep, err = run_json(module, argv, ok_codes=(0, 1))
        if rep is None:
            module.fail_json(msg='offloadctl restore printed no JSON: %s' % err.strip(), rc=rc)
        sets = dict((r['ifname'], r.get('set', {})) for r in rep.get('results', []) if r.get('status') == 'restored')
        result = dict(changed=(rep.get('counts') or {}).get('restored', 0) > 0, snapshot=rep.get('snapshot'), changes=sets,
                      fixed=[], held=[], report=rep)
        if rc != 0:
            module.fail_json(msg='offloadctl restore %s: an interface failed or differs from the snapshot' % snap, rc=rc, **result)
    if module._diff and sets:
        result['diff'] = changes_diff(sets, 'offloads')
    return result


def main():
    spec = dict(
        state=dict(type='str', default='applied', choices=['applied', 'audited', 'restored']),
        profile=dict(type='str'),
        policy=dict(type='raw'),
        interfaces=dict(type='list', elements='str', default=[]),
        snapshot=dict(type='str', default='last'),
        keep_going=dict(type='bool', default=False),
        guard=dict(type='bool', default=False),
        guard_server=dict(type='str'),
        guard_lab=dict(type='str'),
        guard_metric=dict(type='str', default='tcp', choices=['tcp', 'tcp-reverse', 'tcp-multi', 'udp', 'rr']),
        guard_threshold=dict(type='str', default='10%'),
        guard_duration=dict(type='int', default=3),
        guard_repeat=dict(type='int', default=3),
        strict=dict(type='bool', default=False),
        fail_on_deviation=dict(type='bool', default=False),
        state_dir=dict(type='path'),
        libvirt_dir=dict(type='path'),
    )
    spec.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, mutually_exclusive=[['profile', 'policy']])
    state = module.params['state']
    if state == 'applied':
        result = applied(module)
    elif state == 'audited':
        result = audited(module)
    else:
        result = restored(module)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
