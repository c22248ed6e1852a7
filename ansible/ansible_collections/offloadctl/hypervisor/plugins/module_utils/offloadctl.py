# -*- coding: utf-8 -*-
# Shared code of the offloadctl.hypervisor modules: run the offloadctl CLI with argv lists (never a
# shell string), read its --json output, translate feature names, render diffs.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile

# Options every module takes (merged into each module's argument_spec).
COMMON_ARGS = dict(
    offloadctl_path=dict(type='path', default='/usr/bin/offloadctl'),
    netns=dict(type='str'),
    backend=dict(type='str', choices=['auto', 'netlink', 'ethtool']),
)

# linux-system-roles' network role spells ethtool features with underscores (tx_tcp_segmentation);
# the kernel's names use hyphens, except two bits whose kernel name has an underscore
# (net/ethtool/common.c netdev_features_strings: "tx-udp_tnl-segmentation").
_LSR_SPECIAL = {
    'tx_udp_tnl_segmentation': 'tx-udp_tnl-segmentation',
    'tx_udp_tnl_csum_segmentation': 'tx-udp_tnl-csum-segmentation',
}


def feature_name(name):
    """A feature name in offloadctl's spelling (short name or kernel name)."""
    if name in _LSR_SPECIAL:
        return _LSR_SPECIAL[name]
    if '_' in name and '-' not in name:
        return name.replace('_', '-')
    return name


def feature_value(value):
    """on/off from a boolean (linux-system-roles writes yes/no) or a string."""
    if isinstance(value, bool):
        return 'on' if value else 'off'
    text = str(value).strip().lower()
    if text in ('on', 'yes', 'true', '1'):
        return 'on'
    if text in ('off', 'no', 'false', '0'):
        return 'off'
    raise ValueError('feature value %r: expected on/off or a boolean' % (value,))


def translate_policy(policy):
    """An inline policy (dict) with every rule's feature names and values in offloadctl's spelling."""
    out = dict(policy)
    rules = []
    for rule in policy.get('rules') or []:
        rule = dict(rule)
        feats = rule.get('features') or {}
        rule['features'] = dict((feature_name(k), feature_value(v)) for k, v in feats.items())
        rules.append(rule)
    out['rules'] = rules
    out.setdefault('name', 'ansible-inline')
    return out


def base_argv(module):
    """offloadctl with the global options (--netns, --backend)."""
    p = module.params
    argv = [p['offloadctl_path']]
    if p.get('netns'):
        argv += ['--netns', p['netns']]
    if p.get('backend'):
        argv += ['--backend', p['backend']]
    return argv


def policy_argv(module, tmpfiles):
    """--profile NAME or --policy FILE; an inline policy is written to a private temporary file (JSON is YAML)."""
    p = module.params
    profile = p.get('profile')
    policy = p.get('policy')
    if profile and policy:
        module.fail_json(msg='give profile or policy, not both')
    if profile:
        return ['--profile', profile]
    if policy is None:
        return []
    if isinstance(policy, dict):
        try:
            doc = translate_policy(policy)
        except ValueError as e:
            module.fail_json(msg=str(e))
        fd, path = tempfile.mkstemp(prefix='offloadctl-policy-', suffix='.yaml')
        with os.fdopen(fd, 'w') as f:
            json.dump(doc, f)
        tmpfiles.append(path)
        return ['--policy', path]
    return ['--policy', str(policy)]


def run_json(module, argv, ok_codes=(0,)):
    """Run argv; return (exit code, parsed stdout or None, stderr). Fails the module on other codes."""
    rc, out, err = module.run_command(argv, environ_update={'LC_ALL': 'C'})
    data = None
    if out.strip():
        try:
            data = json.loads(out)
        except ValueError:
            data = None
    if rc not in ok_codes:
        module.fail_json(msg='%s exited %d: %s' % (' '.join(argv[1:]), rc, (err or out).strip()), rc=rc,
                         stdout=out, stderr=err, cmd=argv, offloadctl=data)
    return rc, data, err


def cleanup(paths):
    for path in paths:
        try:
            os.unlink(path)
        except OSError:
            pass


def onoff(b):
    return 'on' if b else 'off'


def render_state(per_iface):
    """{ifname: {feature: bool}} as sorted YAML-like text, for Ansible's --diff."""
    lines = []
    for ifname in sorted(per_iface):
        lines.append('%s:' % ifname)
        for feature in sorted(per_iface[ifname]):
            lines.append('  %s: %s' % (feature, onoff(per_iface[ifname][feature])))
    return '\n'.join(lines) + ('\n' if lines else '')


def changes_diff(sets, header):
    """Ansible diff from {ifname: {feature: after}}: before is the opposite requested bit."""
    before = dict((i, dict((f, not v) for f, v in s.items())) for i, s in sets.items())
    return dict(before=render_state(before), after=render_state(sets),
                before_header='%s (requested, before)' % header, after_header='%s (requested, after)' % header)
