import type { Role, VmPlatform, VmRef } from '../model/types.js';

/** The mechanisms `offloadctl persist` can write the policy into. */
export const TARGETS = [
  'systemd-link',
  'netplan',
  'networkmanager',
  'ifupdown',
  'udev',
  'libvirt-hook',
  'libvirt-xml',
  'tuned',
  'xapi',
] as const;
export type PersistTarget = (typeof TARGETS)[number];

/** When a mechanism re-applies the policy. */
export type Moment = 'boot' | 'vm-start';

/**
 * One interface the policy selects, with what it wants, flattened for rendering.
 * `desired` is keyed by kernel feature names (resolvePolicy's output), `known` is every kernel
 * feature the interface reports (to tell whether a short name like `tso` covers a whole group).
 */
export interface PersistInterface {
  name: string;
  kind: string | null;
  role: Role;
  driver: string | null;
  /** Hardware address (physical NICs are matched by it: their kernel name changes at boot). */
  mac: string | null;
  physical: boolean;
  vm: VmRef | null;
  desired: Record<string, boolean>;
  known: string[];
  /** OVSDB Interface.external_ids when the interface is an OVS port (xapi: xs-vif-uuid). */
  externalIds?: Record<string, string>;
}

/**
 * A VM-port naming scheme: ports that do not exist yet (created at VM start). Rendered from the
 * policy resolved against a template interface of that scheme, not from current interfaces.
 */
export interface VmPortScheme {
  /** Human label: libvirt, proxmox, openstack, xen, tun/tap. */
  label: string;
  /** Shell/udev glob on the kernel name; null for "any tun/tap device" (matched by kind). */
  glob: string | null;
  /** A tun/tap device (QEMU owns it and rewrites its TSO/checksum bits: TUNSETOFFLOAD). */
  tun: boolean;
  /** The VM platform whose ports follow this naming scheme; null for "any tun/tap device". */
  platform?: VmPlatform | null;
  desired: Record<string, boolean>;
  known: string[];
}

export interface RenderedFile {
  /** Absolute path on the target system (installed under --root). */
  path: string;
  content: string;
  mode: number;
}

/** A file moved aside (an existing libvirt hook that ours chains to); undone on uninstall. */
export interface Move {
  from: string;
  to: string;
}

/** What one mechanism covers, recorded in the manifest and used by --check. */
export interface Coverage {
  /** Interface name, or a glob for VM-port schemes (`vnet*`), or `kind:tun`. */
  match: string;
  when: Moment;
  /** Kernel feature names this mechanism sets. */
  covered: string[];
  /** Wanted kernel features it cannot express (they need another mechanism). */
  uncovered: string[];
  /** Why a feature may not hold although it is set (e.g. QEMU rewriting tap offloads). */
  caveats?: string[];
  /** The installed files this coverage depends on (default: every file of the target). */
  files?: string[];
  /** Covers every feature the policy wants (the agent), whatever `covered` lists. */
  all?: boolean;
}

export interface RenderResult {
  target: PersistTarget;
  files: RenderedFile[];
  moves: Move[];
  coverage: Coverage[];
  /** Things the operator should know (shadowed files, physical-only mechanisms, ...). */
  notes: string[];
  /** Commands to run after installing for the change to take effect now (never run by us). */
  commands: string[];
}

export interface RenderOptions {
  policyName: string;
  /** Absolute path of the offloadctl executable the boot path calls. */
  offloadctlPath: string;
  /** Where the resolved policy is installed for the boot path. */
  policyPath: string;
  /** Render plain `ethtool -K` instead of calling offloadctl from udev rules and hooks. */
  noOffloadctlOnBootPath: boolean;
  /** Path of ethtool on the target system. */
  ethtoolPath: string;
}

/** A read-only view of the target root: renderers look at existing configuration through it. */
export interface RootView {
  read(path: string): string | null;
  list(dir: string): string[];
  exists(path: string): boolean;
}

export interface RenderInput {
  interfaces: PersistInterface[];
  vmSchemes: VmPortScheme[];
  root: RootView;
  options: RenderOptions;
  /** libvirt-xml only: the domain XML to edit. */
  domainXml?: string;
}

export const MARK = 'offloadctl:persist';
