import type { VmRef } from '../model/types.js';

/**
 * Which VM owns an interface: from the platforms' naming schemes (pure), and from libvirt's domain
 * status XML (pure parsing here; reading the files is in vm-reader.ts).
 *
 * Naming schemes:
 * - libvirt: `vnetN` (automatic tap names, virDomainNetGenerateTarget) and `macvtapN` (direct mode);
 *   the owning domain is only known from `<target dev='…'/>` in /run/libvirt/qemu/<domain>.xml.
 * - Proxmox: `tap<vmid>i<n>` (VM NIC netN), `veth<vmid>i<n>` (container NIC), firewall plumbing
 *   `fwbr<vmid>i<n>` (bridge), `fwpr<vmid>p<n>` / `fwln<vmid>i<n>` (veth pair).
 * - OpenStack (nova/neutron, ovs hybrid plug): `tap`/`qvb`/`qvo`/`qbr` + the first 11 characters of the
 *   neutron port UUID (`tap3f1c2a9b-12`).
 * - Xen (xl/XCP-ng): `vif<domid>.<n>` (netback), `vif<domid>.<n>-emu` (QEMU's emulated NIC of an HVM
 *   guest), XCP-ng's `tap<domid>.<n>` for the same.
 */

/** Libvirt's automatic names. */
const LIBVIRT_TAP = /^vnet\d+$/;
const LIBVIRT_MACVTAP = /^macvtap\d+$/;
const PVE_TAP = /^tap(\d+)i(\d+)$/;
const PVE_VETH = /^veth(\d+)i(\d+)$/;
const PVE_FWBR = /^fwbr(\d+)i(\d+)$/;
const PVE_FWPR = /^fwpr(\d+)p(\d+)$/;
const PVE_FWLN = /^fwln(\d+)i(\d+)$/;
/** OpenStack: prefix + 11 characters of a port UUID (8 hex, dash, 2 hex). */
const OS_PORT = /^(tap|qvb|qvo|qbr)([0-9a-f]{8}-[0-9a-f]{2})$/;
const XEN_VIF = /^vif(\d+)\.(\d+)(-emu)?$/;
const XEN_TAP = /^tap(\d+)\.(\d+)$/;

/** What an interface name alone says about its owner, and whether it is firewall plumbing. */
export interface NameHint {
  vm: VmRef;
  /** The name is one of a platform's per-VM firewall devices (fwbr/fwpr/fwln, qbr/qvb/qvo). */
  firewall: boolean;
  /** The name is a VM's own NIC port (tap/vnet/vif/veth of a container). */
  port: boolean;
}

/** First letters of every scheme above: most names (eth0, br0, bond0.100) are rejected without a regex. */
const SCHEME_START = /^(?:vnet|macvtap|tap|veth|fw|q|vif)/;

export function vmHintFromName(name: string): NameHint | null {
  if (!SCHEME_START.test(name)) return null;
  let m: RegExpExecArray | null;
  if (LIBVIRT_TAP.test(name) || LIBVIRT_MACVTAP.test(name)) {
    return { vm: { platform: 'libvirt', id: null, name: null, nic: null }, firewall: false, port: true };
  }
  if ((m = PVE_TAP.exec(name)) || (m = PVE_VETH.exec(name))) {
    return { vm: { platform: 'proxmox', id: m[1]!, name: null, nic: `net${m[2]}` }, firewall: false, port: true };
  }
  if ((m = PVE_FWBR.exec(name)) || (m = PVE_FWLN.exec(name)) || (m = PVE_FWPR.exec(name))) {
    return { vm: { platform: 'proxmox', id: m[1]!, name: null, nic: `net${m[2]}` }, firewall: true, port: false };
  }
  if ((m = OS_PORT.exec(name))) {
    const tap = m[1] === 'tap';
    return { vm: { platform: 'openstack', id: m[2]!, name: null, nic: null }, firewall: !tap, port: tap };
  }
  if ((m = XEN_VIF.exec(name)) || (m = XEN_TAP.exec(name))) {
    return { vm: { platform: 'xen', id: m[1]!, name: null, nic: m[2]! }, firewall: false, port: true };
  }
  return null;
}

/** What is known from outside the interface names: libvirt domains, Proxmox VM names. */
export interface VmIndex {
  /** interface name → owner, from libvirt domain status XML. */
  byIfname: Map<string, VmRef>;
  /** Proxmox vmid → VM name (from qemu-server/<vmid>.conf `name:`). */
  proxmoxNames: Map<string, string>;
}

export function emptyVmIndex(): VmIndex {
  return { byIfname: new Map(), proxmoxNames: new Map() };
}

/** The owner of an interface: libvirt's own record first, then the naming scheme. */
export function resolveVm(
  ifname: string,
  index: VmIndex,
  hint: NameHint | null = vmHintFromName(ifname),
): VmRef | null {
  const known = index.byIfname.get(ifname);
  if (known) return { ...known };
  if (!hint) return null;
  const vm = { ...hint.vm };
  if (vm.platform === 'proxmox' && vm.id !== null) vm.name = index.proxmoxNames.get(vm.id) ?? null;
  return vm;
}

// ---- libvirt domain status XML ----

export interface LibvirtInterface {
  /** `<target dev='…'/>`: the host-side device name. */
  target: string;
  mac: string | null;
  /** `<alias name='net0'/>` */
  alias: string | null;
  /** `<interface type='…'>`: bridge, network, direct, ethernet, … */
  type: string | null;
}

export interface LibvirtDomain {
  name: string;
  uuid: string | null;
  /** `<domain id='N'>` of a running domain. */
  domid: string | null;
  /** `<domstatus state='running'>` */
  state: string | null;
  /** OpenStack's display name (`<nova:name>` in nova's `<metadata>`): the domain is an OpenStack instance. */
  novaName: string | null;
  interfaces: LibvirtInterface[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e]!;
  });
}

/** Attribute `attr` of the first `<tag …>` in xml (either quote style), decoded; null when absent. */
function attrOf(xml: string, tag: string, attr: string): string | null {
  const el = new RegExp(`<${tag}(?=[\\s/>])([^>]*)>`).exec(xml);
  if (!el) return null;
  const a = new RegExp(`(?:^|\\s)${attr}\\s*=\\s*(?:'([^']*)'|"([^"]*)")`).exec(el[1]!);
  if (!a) return null;
  return decodeXml(a[1] ?? a[2]!);
}

function textOf(xml: string, tag: string): string | null {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m ? decodeXml(m[1]!).trim() : null;
}

/**
 * Parse a libvirt domain XML: the status file libvirtd keeps per running domain
 * (/run/libvirt/qemu/<name>.xml, root `<domstatus>` wrapping `<domain>`) or a plain `<domain>`.
 * Careful extraction instead of a general XML parser: libvirt writes this file itself
 * (virDomainObjFormat) in a fixed form, and we need four things from it. Comments and
 * `<metadata>` (free-form, may hold anything, e.g. nova's `<nova:name>`) are removed first.
 * Returns null when the text holds no `<domain>` with a `<name>`.
 */
export function parseLibvirtDomainXml(text: string): LibvirtDomain | null {
  const noComments = text.replace(/<!--[\s\S]*?-->/g, '');
  const nova = /<nova:name>([^<]*)<\/nova:name>/.exec(noComments);
  const xml = noComments.replace(/<metadata>[\s\S]*?<\/metadata>/g, '');
  const start = xml.search(/<domain[\s>]/);
  if (start < 0) return null;
  const state = attrOf(xml.slice(0, start + 1), 'domstatus', 'state');
  const domain = xml.slice(start);
  const name = textOf(domain, 'name');
  if (!name) return null;
  const interfaces: LibvirtInterface[] = [];
  for (const m of domain.matchAll(/<interface(?=[\s>])([^>]*)>([\s\S]*?)<\/interface>/g)) {
    const body = m[2]!;
    const target = attrOf(body, 'target', 'dev');
    if (!target) continue; // hostdev / inactive interfaces have no host-side device
    interfaces.push({
      target,
      mac: attrOf(body, 'mac', 'address'),
      alias: attrOf(body, 'alias', 'name'),
      type: attrOf(`<interface${m[1]}>`, 'interface', 'type'),
    });
  }
  return {
    name,
    uuid: textOf(domain, 'uuid'),
    domid: attrOf(domain, 'domain', 'id'),
    state,
    novaName: nova ? decodeXml(nova[1]!).trim() : null,
    interfaces,
  };
}

/**
 * interface name → VmRef for every interface of the given domains. nic = the NIC's MAC. Domains that
 * nova manages (OpenStack compute nodes run libvirt) are OpenStack VMs named by their display name.
 */
export function libvirtIndex(domains: readonly LibvirtDomain[]): Map<string, VmRef> {
  const out = new Map<string, VmRef>();
  for (const d of domains) {
    for (const i of d.interfaces) {
      const nic = i.mac ?? i.alias;
      if (d.novaName !== null) {
        const port = OS_PORT.exec(i.target);
        out.set(i.target, { platform: 'openstack', id: port ? port[2]! : d.uuid, name: d.novaName, nic });
      } else out.set(i.target, { platform: 'libvirt', id: d.uuid, name: d.name, nic });
    }
  }
  return out;
}

/** The `name:` line of a Proxmox qemu-server/<vmid>.conf (current config, before any [snapshot] section). */
export function parseProxmoxConfName(text: string): string | null {
  for (const line of text.split('\n')) {
    if (line.startsWith('[')) break;
    const m = /^name:\s*(\S.*?)\s*$/.exec(line);
    if (m) return m[1]!;
  }
  return null;
}

/** Proxmox vmids that interface names mention (tap/veth/fw*), for reading only the configs needed. */
export function proxmoxVmids(ifnames: readonly string[]): string[] {
  const ids = new Set<string>();
  for (const n of ifnames) {
    const h = vmHintFromName(n);
    if (h && h.vm.platform === 'proxmox' && h.vm.id) ids.add(h.vm.id);
  }
  return [...ids];
}

/** Short text for tables: `libvirt:web01`, `proxmox:100(web)`, `xen:dom3`, `openstack:3f1c2a9b-12`. */
export function formatVm(vm: VmRef | null): string {
  if (!vm) return '-';
  switch (vm.platform) {
    case 'libvirt':
      // vm-id from OVSDB external_ids is the domain UUID: its first block when there is no name
      return `libvirt:${vm.name ?? (vm.id ? vm.id.slice(0, 8) : '?')}`;
    case 'proxmox':
      return `proxmox:${vm.id ?? '?'}${vm.name ? `(${vm.name})` : ''}`;
    case 'xen':
      // from the vif name: a domid; from OVSDB (xs-vm-uuid): the VM's UUID, shown by its first block
      return vm.id !== null && /^[0-9a-f]{8}-/.test(vm.id)
        ? `xen:${vm.name ?? vm.id.slice(0, 8)}`
        : `xen:dom${vm.id ?? '?'}`;
    case 'openstack':
      return `openstack:${vm.name ?? vm.id ?? '?'}`;
  }
}
