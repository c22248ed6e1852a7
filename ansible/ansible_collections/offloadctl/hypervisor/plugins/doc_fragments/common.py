# -*- coding: utf-8 -*-
# The options every module of this collection shares (how offloadctl is run on the target).
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r'''
options:
  offloadctl_path:
    description:
      - The offloadctl executable on the target.
    type: path
    default: /usr/bin/offloadctl
  netns:
    description:
      - Run offloadctl inside this network namespace (C(offloadctl --netns)), for labs and tests.
    type: str
  backend:
    description:
      - Kernel access (C(offloadctl --backend)); C(ethtool) for old kernels without ethtool netlink.
    type: str
    choices: [auto, netlink, ethtool]
'''
