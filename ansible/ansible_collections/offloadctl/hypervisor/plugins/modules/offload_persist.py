#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: offload_persist
short_description: Make an offload policy survive reboots and VM starts (offloadctl persist)
version_added: "0.1.0"
description:
  - Runs C(offloadctl persist) for each target in C(targets), writing the policy into what the host already uses
    (systemd .link files, netplan, NetworkManager, ifupdown, tuned) and covers the ports each VM start creates
    (udev rule, libvirt hook). C(auto) detects what the host has and covers every interface.
  - In check mode runs C(offloadctl persist --dry-run) and writes nothing.
  - With C(--diff), shows each file it writes (or would write), its current content and the new content.
  - C(changed) is true when a file was (or would be) created, changed or removed.
  - Feature names of an inline policy may use linux-system-roles' spelling (C(tx_tcp_segmentation)).
author:
  - offloadctl developers
requirements:
  - offloadctl on the target (see C(offloadctl_path))
options:
  targets:
    description:
      - Mechanisms to write, each one C(offloadctl persist --target) run.
    type: list
    elements: str
    choices: [systemd-link, netplan, networkmanager, ifupdown, udev, libvirt-hook, tuned, auto]
    default: [auto]
  state:
    description:
      - C(present) writes the files; C(absent) removes exactly what offloadctl wrote (C(--uninstall)).
    type: str
    choices: [present, absent]
    default: present
  profile:
    description:
      - A built-in profile; mutually exclusive with C(policy). Neither means C(tso-gso-off).
    type: str
  policy:
    description:
      - A policy file on the target (a path) or an inline policy (a dictionary in offloadctl's policy format).
    type: raw
  root:
    description:
      - Install under this root folder instead of C(/) (image builds, tests) (C(--root)).
    type: path
    default: /
  policy_path:
    description:
      - Where the policy is installed for the udev rule and libvirt hook (C(--policy-path)).
    type: path
  offloadctl_on_boot_path:
    description:
      - Whether the udev rule and libvirt hook call C(offloadctl apply). False makes them run plain
        C(ethtool -K) (C(--no-offloadctl-on-boot-path)).
    type: bool
    default: true
  boot_offloadctl_path:
    description:
      - offloadctl as the boot path calls it (C(--offloadctl-path)); default C(offloadctl_path).
    type: path
  force:
    description:
      - Overwrite files offloadctl wrote that were edited by hand since (C(--force)).
    type: bool
    default: false
extends_documentation_fragment:
  - offloadctl.hypervisor.common
notes:
  - Supports check mode and diff mode.
seealso:
  - module: offloadctl.hypervisor.offload_policy
'''

EXAMPLES = r'''
- name: Cover boot and VM starts with what the host already uses
  offloadctl.hypervisor.offload_persist:
    targets: [auto]
    policy: /etc/offloadctl/policy.yaml

- name: Only the udev rule for VM ports, plain ethtool on the boot path
  offloadctl.hypervisor.offload_persist:
    targets: [udev]
    profile: tso-gso-sg-off
    offloadctl_on_boot_path: false

- name: Remove everything offloadctl persisted
  offloadctl.hypervisor.offload_persist:
    targets: [auto]
    state: absent
'''

RETURN = r'''
files:
  description: Files written, changed, removed (or that would be), with the action offloadctl reports.
  returned: always
  type: list
  elements: dict
  sample: [{"target": "udev", "path": "/etc/udev/rules.d/90-offloadctl-vm-ports.rules", "action": "created"}]
warnings_by_target:
  description: offloadctl's warnings per target (for example interfaces a mechanism cannot cover).
  returned: always
  type: dict
report:
  description: offloadctl persist's JSON report per target.
  returned: always
  type: dict
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.offloadctl.hypervisor.plugins.module_utils.offloadctl import (
    COMMON_ARGS, base_argv, cleanup, policy_argv, run_json)

WRITES = ('created', 'updated', 'removed', 'restored', 'moved')


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError):
        return ''


def main():
    spec = dict(
        targets=dict(type='list', elements='str', default=['auto'],
                     choices=['systemd-link', 'netplan', 'networkmanager', 'ifupdown', 'udev', 'libvirt-hook', 'tuned', 'auto']),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        profile=dict(type='str'),
        policy=dict(type='raw'),
        root=dict(type='path', default='/'),
        policy_path=dict(type='path'),
        offloadctl_on_boot_path=dict(type='bool', default=True),
        boot_offloadctl_path=dict(type='path'),
        force=dict(type='bool', default=False),
    )
    spec.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, mutually_exclusive=[['profile', 'policy']])
    p = module.params
    tmp = []
    files, warnings, reports, diffs = [], {}, {}, []
    try:
        pol = policy_argv(module, tmp)
        for target in p['targets']:
            argv = base_argv(module) + ['persist', '--json', '--target', target, '--root', p['root']] + pol
            argv += ['--offloadctl-path', p['boot_offloadctl_path'] or p['offloadctl_path']]
            if p.get('policy_path'):
                argv += ['--policy-path', p['policy_path']]
            if not p['offloadctl_on_boot_path']:
                argv.append('--no-offloadctl-on-boot-path')
            if p['force']:
                argv.append('--force')
            if p['state'] == 'absent':
                argv.append('--uninstall')
            # Ask for the content first (--dry-run), so the diff shows the files as they were.
            _, dry, _ = run_json(module, argv + ['--dry-run'], ok_codes=(0, 1))
            reports[target] = dry
            for t in (dry or {}).get('targets', []):
                rendered = dict((r['path'], r) for r in t.get('rendered', []))
                for f in t.get('files', []):
                    entry = dict(target=t.get('target', target), path=f['path'], action=f.get('action'))
                    files.append(entry)
                    if f.get('action') not in WRITES:
                        continue
                    on_disk = os.path.join(p['root'], f['path'].lstrip('/'))
                    after = '' if f.get('action') == 'removed' else rendered.get(f['path'], {}).get('content', '')
                    diffs.append(dict(before=read_text(on_disk), after=after, before_header=on_disk, after_header=on_disk))
                if t.get('warnings'):
                    warnings[t.get('target', target)] = t['warnings']
            if not module.check_mode:
                rc, rep, err = run_json(module, argv, ok_codes=(0, 1))
                reports[target] = rep
                if rc != 0:
                    module.fail_json(msg='offloadctl persist --target %s exited 1 (files edited by hand left in place; force=true overwrites)' % target,
                                     report=reports, files=files, stderr=err)
    finally:
        cleanup(tmp)
    changed = any(f['action'] in WRITES for f in files)
    result = dict(changed=changed, files=files, warnings_by_target=warnings, report=reports)
    if module._diff and diffs:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
