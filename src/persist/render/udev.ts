import type { Coverage, RenderInput, RenderResult, VmPortScheme } from '../types.js';
import { applyArgv, assertSafeWord, header, tunCaveats } from './common.js';

export const UDEV_RULES_PATH = '/etc/udev/rules.d/90-offloadctl-vm-ports.rules';

/**
 * udev rule for VM ports: on ACTION=="add" of a net device matching a VM naming scheme, or of any
 * tun/tap device (sysfs `tun_flags` exists only for those), run the policy for that one device.
 * 90- so RUN comes after 80-net-setup-link.rules applied .link files. udev substitutes $kernel with
 * the device name; RUN is split on spaces, so every word is checked to contain none.
 */
export function renderUdev(input: RenderInput): RenderResult {
  const { options: opts } = input;
  const lines: string[] = [
    header('udev', opts).trimEnd(),
    '# Applies the offload policy to VM ports the moment the kernel creates them: libvirt vnetN,',
    '# Proxmox tap<vmid>i<n>, OpenStack tapXXXXXXXX-XX, Xen vif<domid>.<n>, macvtapN, any other tun/tap,',
    '# and the per-VM firewall bridges and veths of Proxmox (fwbr/fwpr/fwln) and OpenStack (qbr/qvb/qvo).',
    'ACTION!="add", GOTO="offloadctl_end"',
    'SUBSYSTEM!="net", GOTO="offloadctl_end"',
  ];
  const coverage: Coverage[] = [];
  const notes: string[] = [];
  for (const s of input.vmSchemes) {
    const desiredNames = Object.keys(s.desired);
    if (desiredNames.length === 0) continue;
    const cmd = applyArgv(opts, '$kernel', s.desired, s.known);
    for (const w of cmd) if (w !== '$kernel') assertSafeWord(w, 'word');
    const match = s.glob === null ? 'ATTR{tun_flags}=="?*"' : `KERNEL=="${assertSafeWord(s.glob, 'glob')}"`;
    lines.push(`# ${s.label}`, `${match}, RUN+="${cmd.join(' ')}", GOTO="offloadctl_end"`);
    coverage.push(schemeCoverage(s));
  }
  lines.push('LABEL="offloadctl_end"', '');
  if (coverage.length === 0)
    notes.push('the policy selects no VM port: the udev rule would do nothing, nothing rendered');
  notes.push(
    'udev sees devices of the root network namespace only, and RUN must finish within the event timeout (180 s)',
  );
  if (coverage.some((c) => c.match === 'veth*i*' || c.match === 'fwpr*p*')) {
    notes.push(
      'veth pairs announce both ends on add: the peer end (in a container or firewall bridge) is covered by its own name',
    );
  }
  if (!opts.noOffloadctlOnBootPath) {
    notes.push(
      `the rule runs ${opts.offloadctlPath} (and node) on every VM port add: keep both installed, or use --no-offloadctl-on-boot-path`,
    );
  }
  return {
    target: 'udev',
    files: coverage.length ? [{ path: UDEV_RULES_PATH, content: lines.join('\n'), mode: 0o644 }] : [],
    moves: [],
    coverage,
    notes,
    commands: coverage.length ? ['udevadm control --reload'] : [],
  };
}

export function schemeCoverage(s: VmPortScheme): Coverage {
  const caveats = tunCaveats(s, s.tun);
  return {
    match: s.glob ?? 'kind:tun',
    when: 'vm-start',
    covered: Object.keys(s.desired).sort(),
    uncovered: [],
    ...(caveats.length ? { caveats } : {}),
  };
}
