# -*- coding: utf-8 -*-
# Filter offload_policy_names: an inline policy with linux-system-roles feature names
# (tx_tcp_segmentation: false) in offloadctl's spelling (tx-tcp-segmentation: off).
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: offload_policy_names
short_description: An offload policy with feature names and values in offloadctl's spelling
version_added: "0.1.0"
description:
  - Returns the policy with every rule's feature names translated from linux-system-roles' spelling
    (C(tx_tcp_segmentation)) to the kernel's (C(tx-tcp-segmentation)) and values from booleans to C(on)/C(off).
options:
  _input:
    description: A policy (a dictionary with C(rules)).
    type: dict
    required: true
'''

EXAMPLES = r'''
- ansible.builtin.copy:
    content: "{{ my_policy | offloadctl.hypervisor.offload_policy_names | to_nice_yaml }}"
    dest: /etc/offloadctl/policy.yaml
'''

RETURN = r'''
_value:
  description: The translated policy.
  type: dict
'''

from ansible_collections.offloadctl.hypervisor.plugins.module_utils.offloadctl import translate_policy


class FilterModule(object):
    def filters(self):
        return {'offload_policy_names': translate_policy}
