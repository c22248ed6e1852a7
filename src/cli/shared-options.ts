import { Option } from 'commander';
import { DEFAULT_LIBVIRT_DIR, DEFAULT_PROXMOX_DIR } from '../host/vm-reader.js';

/**
 * Options several commands declare, defined once so their names, defaults and help agree
 * (used with commander's `.addOption(...)`).
 */

/** Accumulate a repeatable option's values (`--interface a --interface b`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `--profile <name>`: a built-in profile. */
export function profileOption(): Option {
  return new Option('--profile <name>', 'built-in profile (see `offloadctl profiles`); default tso-gso-off');
}

/** `--policy <file>`: a YAML policy file; `note` adds what the command does with it. */
export function policyOption(note = ''): Option {
  return new Option(
    '--policy <file>',
    `YAML policy file (offloadctl-policy(5)), or - for standard input; not with --profile${note ? `; ${note}` : ''}`,
  );
}

/** `--libvirt-dir <dir>`: where libvirt keeps its running domains' status XML (VM ownership of taps). */
export function libvirtDirOption(): Option {
  return new Option('--libvirt-dir <dir>', 'libvirt domain status XML directory, for VM ownership and names').default(
    DEFAULT_LIBVIRT_DIR,
  );
}

/** `--proxmox-dir <dir>`: Proxmox VE's VM configs (VM names of tap<vmid>i<n> ports). */
export function proxmoxDirOption(): Option {
  return new Option('--proxmox-dir <dir>', 'Proxmox VM configs, for VM names').default(DEFAULT_PROXMOX_DIR);
}
