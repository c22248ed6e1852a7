import type { Interface, LinkInfo, Observation, Policy, Role, VmRef } from '../model/types.js';
import { resolvePolicy } from '../policy/index.js';
import { COMMON_KERNEL_FEATURES } from '../policy/short-names.js';
import picomatch from 'picomatch';
import type { PersistInterface, VmPortScheme } from './types.js';

/**
 * From (policy, observation) to what renderers take (pure): the interfaces the policy selects with
 * their wanted features, and the VM-port naming schemes resolved from the policy's selectors.
 */

/** Every interface the policy wants something of, VM ports included (--check reports them). */
export function selectedInterfaces(
  policy: Policy,
  observation: Observation,
  links: readonly LinkInfo[] = [],
): PersistInterface[] {
  const desired = resolvePolicy(policy, observation);
  const byIndex = new Map(observation.interfaces.map((i) => [i.ifindex, i]));
  const linkByIndex = new Map(links.map((l) => [l.ifindex, l]));
  const out: PersistInterface[] = [];
  for (const d of desired.interfaces) {
    const i = byIndex.get(d.ifindex);
    if (!i) continue;
    const link = linkByIndex.get(d.ifindex);
    const wanted: Record<string, boolean> = {};
    for (const [k, v] of Object.entries(d.features)) {
      // A fixed feature can't be changed by any mechanism: not something to persist.
      if (i.features[k]?.fixed) continue;
      wanted[k] = v.value;
    }
    if (Object.keys(wanted).length === 0) continue;
    out.push({
      name: i.name,
      kind: i.kind,
      role: i.role,
      driver: i.driver,
      mac: link?.mac ?? null,
      physical: link ? link.physical : i.kind === null && (i.role === 'physical' || i.role === 'uplink'),
      vm: i.vm,
      desired: wanted,
      // Fixed features are left out: `tso off` stays one short name when some tx-tcp* bits are fixed.
      known: Object.keys(i.features).filter((k) => !i.features[k]!.fixed),
      ...(i.ovs ? { externalIds: i.ovs.externalIds } : {}),
    });
  }
  return out;
}

/** Created per VM start (VM ports, and Proxmox/OpenStack per-VM firewall plumbing), not at boot. */
export function perVm(i: Pick<PersistInterface, 'role'>): boolean {
  return i.role === 'vm-port' || i.role === 'firewall';
}

/** Interfaces that exist at boot. */
export function bootInterfaces(ifaces: readonly PersistInterface[]): PersistInterface[] {
  return ifaces.filter((i) => !perVm(i));
}

interface Template {
  label: string;
  glob: string | null;
  name: string;
  kind: string | null;
  driver: string | null;
  role: Role;
  vm: VmRef | null;
}

const vm = (platform: VmRef['platform'], id: string | null = null, nic: string | null = null): VmRef => ({
  platform,
  id,
  name: null,
  nic,
});

/**
 * Per-VM naming schemes (src/host/vm.ts classifies the same names): VM ports and the per-VM
 * firewall plumbing Proxmox and OpenStack create with them; the generic tun/tap scheme last.
 */
export const VM_PORT_TEMPLATES: readonly Template[] = [
  {
    label: 'libvirt (vnetN)',
    glob: 'vnet*',
    name: 'vnet0',
    kind: 'tun',
    driver: 'tun',
    role: 'vm-port',
    vm: vm('libvirt'),
  },
  {
    label: 'Proxmox (tap<vmid>i<n>)',
    glob: 'tap*i*',
    name: 'tap100i0',
    kind: 'tun',
    driver: 'tun',
    role: 'vm-port',
    vm: vm('proxmox', '100', '0'),
  },
  {
    label: 'OpenStack (tapXXXXXXXX-XX)',
    glob: 'tap????????-??',
    name: 'tap0123abcd-ef',
    kind: 'tun',
    driver: 'tun',
    role: 'vm-port',
    vm: vm('openstack', '0123abcd-ef'),
  },
  {
    label: 'Xen (vif<domid>.<n>)',
    glob: 'vif*.*',
    name: 'vif1.0',
    kind: null,
    driver: 'vif',
    role: 'vm-port',
    vm: vm('xen', '1', '0'),
  },
  {
    label: 'libvirt direct (macvtapN)',
    glob: 'macvtap*',
    name: 'macvtap0',
    kind: 'macvtap',
    driver: 'macvlan',
    role: 'vm-port',
    vm: vm('libvirt'),
  },
  {
    label: 'Proxmox container (veth<vmid>i<n>)',
    glob: 'veth*i*',
    name: 'veth100i0',
    kind: 'veth',
    driver: 'veth',
    role: 'vm-port',
    vm: vm('proxmox', '100', '0'),
  },
  {
    label: 'Proxmox firewall bridge (fwbr<vmid>i<n>)',
    glob: 'fwbr*i*',
    name: 'fwbr100i0',
    kind: 'bridge',
    driver: 'bridge',
    role: 'firewall',
    vm: vm('proxmox', '100', '0'),
  },
  {
    label: 'Proxmox firewall veth (fwpr<vmid>p<n>)',
    glob: 'fwpr*p*',
    name: 'fwpr100p0',
    kind: 'veth',
    driver: 'veth',
    role: 'firewall',
    vm: vm('proxmox', '100', '0'),
  },
  {
    label: 'Proxmox firewall veth (fwln<vmid>i<n>)',
    glob: 'fwln*i*',
    name: 'fwln100i0',
    kind: 'veth',
    driver: 'veth',
    role: 'firewall',
    vm: vm('proxmox', '100', '0'),
  },
  {
    label: 'OpenStack hybrid bridge (qbrXXXXXXXX-XX)',
    glob: 'qbr*',
    name: 'qbr0123abcd-ef',
    kind: 'bridge',
    driver: 'bridge',
    role: 'firewall',
    vm: vm('openstack', '0123abcd-ef'),
  },
  {
    label: 'OpenStack veths (qvbXXXXXXXX-XX, qvoXXXXXXXX-XX)',
    glob: 'qv[bo]*',
    name: 'qvb0123abcd-ef',
    kind: 'veth',
    driver: 'veth',
    role: 'firewall',
    vm: vm('openstack', '0123abcd-ef'),
  },
  {
    label: 'any other tun/tap device',
    glob: null,
    name: 'tap0',
    kind: 'tun',
    driver: 'tun',
    role: 'vm-port',
    vm: null,
  },
];

/**
 * What the policy wants on a port of each scheme, by resolving it against a template interface
 * (role vm-port, no master yet: at creation a port is not in its bridge, so rules that select by
 * master cannot match there). `featureNames` is the running kernel's list when known.
 */
export function vmPortSchemes(
  policy: Policy,
  featureNames: readonly string[] = COMMON_KERNEL_FEATURES,
): VmPortScheme[] {
  const features = Object.fromEntries(featureNames.map((n) => [n, { active: true, requested: true, fixed: false }]));
  const generic = VM_PORT_TEMPLATES[VM_PORT_TEMPLATES.length - 1]!;
  const templates = [...VM_PORT_TEMPLATES.slice(0, -1), ...policyTemplates(policy), generic];
  const interfaces: Interface[] = templates.map((t, i) => ({
    ifindex: 1000 + i,
    name: t.name,
    kind: t.kind,
    role: t.role,
    master: null,
    driver: t.driver,
    mtu: 1500,
    operstate: 'UNKNOWN',
    vm: t.vm,
    features,
  }));
  const desired = resolvePolicy(policy, { takenAt: '', backend: 'netlink', interfaces });
  return templates.map((t, i) => {
    const d = desired.interfaces.find((x) => x.ifindex === 1000 + i);
    const wanted: Record<string, boolean> = {};
    for (const [k, v] of Object.entries(d?.features ?? {})) wanted[k] = v.value;
    return {
      label: t.label,
      glob: t.glob,
      tun: t.kind === 'tun',
      platform: t.vm?.platform ?? null,
      desired: wanted,
      known: [...featureNames],
    };
  });
}

const PER_VM_KINDS = new Set(['tun', 'tap', 'macvtap']);

/** A name that matches the glob (vnet* → vnet0), or null for globs udev's fnmatch would not read alike. */
function sampleName(glob: string): string | null {
  if (!/^[A-Za-z0-9_.:@*?[\]-]+$/.test(glob)) return null; // braces, extglobs: picomatch-only syntax
  const name = glob
    .replace(/\*/g, '0')
    .replace(/\?/g, '0')
    .replace(/\[([^\]])[^\]]*\]/g, '$1');
  return name.length > 0 && name.length <= 15 && picomatch.isMatch(name, glob) ? name : null;
}

/**
 * Name globs of policy rules that select VM ports (role vm-port/firewall, or a tun/tap/macvtap
 * kind): schemes of their own, so ports named the way this host names them are covered too.
 */
export function policyTemplates(policy: Policy): Template[] {
  const builtin = new Set(VM_PORT_TEMPLATES.map((t) => t.glob));
  const out: Template[] = [];
  for (const [i, r] of policy.rules.entries()) {
    const roles = r.select.role ?? [];
    const kinds = r.select.kind ?? [];
    const perVmRole = roles.some((x) => x === 'vm-port' || x === 'firewall');
    const perVmKind = kinds.find((k) => PER_VM_KINDS.has(k));
    if (!perVmRole && !perVmKind) continue;
    for (const glob of r.select.name ?? []) {
      const name = sampleName(glob);
      if (!name || builtin.has(glob) || out.some((t) => t.glob === glob)) continue;
      const kind = perVmKind ?? kinds[0] ?? 'tun';
      out.push({
        label: `policy rule "${r.name ?? `rule ${i + 1}`}" (${glob})`,
        glob,
        name,
        kind: kind === 'tap' ? 'tun' : kind,
        driver: kind,
        role: roles.includes('vm-port') || !roles.length ? 'vm-port' : 'firewall',
        vm: null,
      });
    }
  }
  return out;
}

/** Does a policy rule select by master anywhere (cannot be evaluated when a port is created)? */
export function usesMasterSelectors(policy: Policy): boolean {
  return policy.rules.some((r) => r.select.master !== undefined || r.exclude?.master !== undefined);
}
