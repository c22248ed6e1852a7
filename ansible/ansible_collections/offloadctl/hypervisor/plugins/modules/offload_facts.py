#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: offload_facts
short_description: NIC offload state, interface roles and VM ownership as facts (offloadctl status)
version_added: "0.1.0"
description:
  - Runs C(offloadctl status --json) on the target and returns it as C(ansible_facts.offloadctl).
  - C(interfaces) maps each interface name to its kind, role (bridge, vm-port, uplink ...), master, driver, MTU,
    owning VM (libvirt, Proxmox, OpenStack, Xen, when known) and features.
  - C(roles) maps each role to its interface names; C(vms) maps each VM name (or id) to its interfaces.
  - Reads only; never changes anything.
author:
  - offloadctl developers
requirements:
  - offloadctl on the target (see C(offloadctl_path))
options:
  interfaces:
    description:
      - Only these interfaces (names or globs; a bridge brings its ports). Empty means all.
    type: list
    elements: str
    default: []
  features:
    description:
      - C(active) gives each feature's active state as a boolean (compact).
      - C(full) gives each feature's C(active), C(requested) and C(fixed).
    type: str
    choices: [active, full]
    default: active
  include_loopback:
    description:
      - Also report C(lo).
    type: bool
    default: false
  libvirt_dir:
    description:
      - libvirt domain status XML directory, for VM ownership (C(--libvirt-dir)).
    type: path
extends_documentation_fragment:
  - offloadctl.hypervisor.common
notes:
  - Supports check mode (it reads only).
seealso:
  - module: offloadctl.hypervisor.offload_policy
'''

EXAMPLES = r'''
- name: Gather offload facts
  offloadctl.hypervisor.offload_facts:

- name: Which VM ports still segment in the NIC?
  ansible.builtin.debug:
    msg: "{{ item }}"
  loop: "{{ ansible_facts.offloadctl.roles['vm-port'] | default([]) }}"
  when: ansible_facts.offloadctl.interfaces[item].features['tx-tcp-segmentation'] | default(false)
'''

RETURN = r'''
ansible_facts:
  description: Facts under C(offloadctl).
  returned: always
  type: complex
  contains:
    offloadctl:
      description: Interfaces, roles and VMs.
      type: dict
      sample:
        interfaces:
          vnet0:
            kind: tun
            role: vm-port
            master: br0
            driver: tun
            mtu: 1500
            operstate: UNKNOWN
            vm: {name: web1, platform: libvirt, id: 0b7d2a4e-...}
            features: {tx-tcp-segmentation: false, rx-gro: true}
        roles: {vm-port: [vnet0], bridge: [br0]}
        vms: {web1: [vnet0]}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.offloadctl.hypervisor.plugins.module_utils.offloadctl import COMMON_ARGS, base_argv, run_json


def main():
    spec = dict(
        interfaces=dict(type='list', elements='str', default=[]),
        features=dict(type='str', default='active', choices=['active', 'full']),
        include_loopback=dict(type='bool', default=False),
        libvirt_dir=dict(type='path'),
    )
    spec.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    argv = base_argv(module) + ['status', '--json']
    if p.get('libvirt_dir'):
        argv += ['--libvirt-dir', p['libvirt_dir']]
    argv += p['interfaces']
    _, data, _ = run_json(module, argv)
    interfaces, roles, vms = {}, {}, {}
    for i in (data or {}).get('interfaces', []):
        if i.get('role') == 'loopback' and not p['include_loopback']:
            continue
        feats = i.get('features', {})
        if p['features'] == 'active':
            feats = dict((k, v.get('active')) for k, v in feats.items())
        entry = dict((k, i.get(k)) for k in ('ifindex', 'kind', 'role', 'master', 'driver', 'mtu', 'operstate', 'vm'))
        entry['features'] = feats
        interfaces[i['name']] = entry
        roles.setdefault(i.get('role') or 'unknown', []).append(i['name'])
        vm = i.get('vm')
        if vm:
            vms.setdefault(vm.get('name') or str(vm.get('id')), []).append(i['name'])
    module.exit_json(changed=False, ansible_facts=dict(offloadctl=dict(interfaces=interfaces, roles=roles, vms=vms)))


if __name__ == '__main__':
    main()
