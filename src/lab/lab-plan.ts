import { createHash } from 'node:crypto';
import { OffloadError } from '../model/errors.js';

/**
 * The lab's topology as data (pure): a simulated KVM host built from network namespaces.
 *
 *   olab-NAME-up (upstream)         olab-NAME-hv (the "hypervisor")                 olab-NAME-gK (guests)
 *   eth0 10.77.0.1/16  ──veth──  uplink0 ─┐
 *                                         br0 10.77.0.254/16
 *                                vif1.0 ──┤ ──veth──  eth0 10.77.1.1/16   (Xen-style name)
 *                                vnet0  ──┤  tap, vnet_hdr, libvirt-style name (no far end)
 *                                vif2.0 ──┤ ──veth──  eth0 10.77.1.2/16
 *                              tap100i0 ──┘  tap, vnet_hdr, Proxmox-style name (no far end)
 *
 * Ports alternate veth (even positions) and tap (odd positions); taps alternate libvirt and Proxmox
 * names. A tap has no far end until a process (QEMU) opens it: it carries no traffic in the lab
 * unless a VM attaches (the bench's VM lab does).
 */

export const LAB_PREFIX = 'olab-';
export const LAB_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,23}$/;
export const MAX_PORTS = 1000; // a bridge takes at most 1023 ports (BR_MAX_PORTS), one is the uplink
export const DEFAULT_PORTS = 4;
export const BRIDGE = 'br0';
export const UPLINK = 'uplink0';
export const PREFIX_LEN = 16;

export type PortScheme = 'xen' | 'libvirt' | 'proxmox';

export interface LabPortPlan {
  /** Device name in the hypervisor namespace. */
  name: string;
  kind: 'veth' | 'tap';
  scheme: PortScheme;
  vnetHdr: boolean;
  /** veth ports: the guest namespace and its interface/address; taps: null. */
  guestNs: string | null;
  guestIf: string | null;
  ip: string | null;
  /** The simulated VM: libvirt domain name / Proxmox vmid / Xen domid. */
  vmId: string;
  vmName: string;
  mac: string;
}

export interface LabPlan {
  name: string;
  hypervisor: string;
  upstream: string;
  upstreamIf: string;
  upstreamIp: string;
  bridge: string;
  bridgeIp: string;
  uplink: string;
  prefixLen: number;
  ports: LabPortPlan[];
  /** Every namespace the lab makes, hypervisor first. */
  namespaces: string[];
}

export function validateLabName(name: string): void {
  if (!LAB_NAME_RE.test(name)) {
    throw new OffloadError(
      'usage',
      `invalid lab name ${JSON.stringify(name)}: 1-24 characters, letters, digits, '_' and '-', starting with a letter or digit`,
    );
  }
}

export function validatePorts(ports: number): void {
  if (!Number.isInteger(ports) || ports < 1 || ports > MAX_PORTS) {
    throw new OffloadError('usage', `--ports must be an integer from 1 to ${MAX_PORTS}`);
  }
}

export function hypervisorNs(name: string): string {
  return `${LAB_PREFIX}${name}-hv`;
}

/** Namespaces that belong to lab `name` exactly (not to a lab named `name-x`). */
export function isLabNamespace(name: string, ns: string): boolean {
  const p = `${LAB_PREFIX}${name}-`;
  return ns.startsWith(p) && /^(hv|up|g\d+)$/.test(ns.slice(p.length));
}

/** 10.77.1.0 + n, as a dotted quad (n ≥ 1): guest addresses in 10.77.0.0/16. */
export function guestIp(n: number): string {
  const v = (10 << 24) | (77 << 16) | (1 << 8);
  const x = (v + n) >>> 0;
  return [(x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255].join('.');
}

/** A stable locally administered unicast MAC (52:54:00 is QEMU's prefix, as libvirt uses). */
export function labMac(lab: string, port: string): string {
  const h = createHash('sha256').update(`${lab}/${port}`).digest();
  return ['52', '54', '00', h[0]!, h[1]!, h[2]!]
    .map((b) => (typeof b === 'string' ? b : b.toString(16).padStart(2, '0')))
    .join(':');
}

export function planLab(name: string, ports: number = DEFAULT_PORTS): LabPlan {
  validateLabName(name);
  validatePorts(ports);
  const base = `${LAB_PREFIX}${name}`;
  const list: LabPortPlan[] = [];
  let guest = 0;
  let tap = 0;
  for (let i = 0; i < ports; i++) {
    if (i % 2 === 0) {
      guest++;
      const port = `vif${guest}.0`;
      list.push({
        name: port,
        kind: 'veth',
        scheme: 'xen',
        vnetHdr: false,
        guestNs: `${base}-g${guest}`,
        guestIf: 'eth0',
        ip: guestIp(guest),
        vmId: String(guest),
        vmName: `${name}-guest${guest}`,
        mac: labMac(name, port),
      });
    } else {
      const libvirt = tap % 2 === 0;
      const k = Math.floor(tap / 2); // vnet0, vnet1, … and tap100i0, tap101i0, …
      const port = libvirt ? `vnet${k}` : `tap${100 + k}i0`;
      list.push({
        name: port,
        kind: 'tap',
        scheme: libvirt ? 'libvirt' : 'proxmox',
        vnetHdr: true,
        guestNs: null,
        guestIf: null,
        ip: null,
        vmId: libvirt ? `${name}-vm${k}` : String(100 + k),
        vmName: libvirt ? `${name}-vm${k}` : `${name}-pve${100 + k}`,
        mac: labMac(name, port),
      });
      tap++;
    }
  }
  return {
    name,
    hypervisor: `${base}-hv`,
    upstream: `${base}-up`,
    upstreamIf: 'eth0',
    upstreamIp: '10.77.0.1',
    bridge: BRIDGE,
    bridgeIp: '10.77.0.254',
    uplink: UPLINK,
    prefixLen: PREFIX_LEN,
    ports: list,
    namespaces: [`${base}-hv`, `${base}-up`, ...list.filter((p) => p.guestNs).map((p) => p.guestNs!)],
  };
}

/** `ip -batch` lines that build the hypervisor namespace (run with `ip -n HV -batch -`). */
export function hypervisorBatch(plan: LabPlan): string[] {
  const l = [
    `link add ${plan.bridge} type bridge`,
    `addr add ${plan.bridgeIp}/${plan.prefixLen} dev ${plan.bridge}`,
    `link set ${plan.bridge} up`,
    `link add ${plan.uplink} type veth peer name ${plan.upstreamIf} netns ${plan.upstream}`,
    `link set ${plan.uplink} master ${plan.bridge}`,
    `link set ${plan.uplink} up`,
  ];
  for (const p of plan.ports) {
    if (p.kind === 'tap') l.push(`tuntap add dev ${p.name} mode tap${p.vnetHdr ? ' vnet_hdr' : ''}`);
    else l.push(`link add ${p.name} type veth peer name ${p.guestIf} netns ${p.guestNs}`);
    l.push(`link set ${p.name} master ${plan.bridge}`, `link set ${p.name} up`);
  }
  return l;
}

/** Domain status XML in the format libvirtd keeps under /run/libvirt/qemu/ (virDomainObjFormat). */
export function libvirtStatusXml(plan: LabPlan, port: LabPortPlan, domid: number): string {
  const uuid = uuidFrom(`${plan.name}/${port.vmName}`);
  return `<!--
WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE
OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:
  virsh edit ${port.vmName}
or other application using the libvirt API.
(Written by offloadctl lab: a simulated domain for VM detection; no VM runs.)
-->

<domstatus state='running' reason='booted' pid='0'>
  <taint flag='high-privileges'/>
  <monitor path='/var/lib/libvirt/qemu/domain-${domid}-${port.vmName}/monitor.sock' type='unix'/>
  <vcpus>
    <vcpu id='0' pid='0'/>
  </vcpus>
  <qemuCaps>
    <flag name='kvm'/>
    <flag name='virtio-net'/>
  </qemuCaps>
  <devices>
    <device alias='net0'/>
  </devices>
  <libDir path='/var/lib/libvirt/qemu/domain-${domid}-${port.vmName}'/>
  <domain type='kvm' id='${domid}'>
    <name>${port.vmName}</name>
    <uuid>${uuid}</uuid>
    <memory unit='KiB'>1048576</memory>
    <currentMemory unit='KiB'>1048576</currentMemory>
    <vcpu placement='static'>1</vcpu>
    <resource>
      <partition>/machine</partition>
    </resource>
    <os>
      <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
      <boot dev='hd'/>
    </os>
    <devices>
      <emulator>/usr/bin/qemu-system-x86_64</emulator>
      <interface type='bridge'>
        <mac address='${port.mac}'/>
        <source bridge='${plan.bridge}'/>
        <target dev='${port.name}'/>
        <model type='virtio'/>
        <alias name='net0'/>
        <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
      </interface>
    </devices>
  </domain>
</domstatus>
`;
}

/** A Proxmox qemu-server/<vmid>.conf with the lines offloadctl reads. */
export function proxmoxConf(plan: LabPlan, port: LabPortPlan): string {
  return `boot: order=scsi0\ncores: 1\nmemory: 1024\nname: ${port.vmName}\nnet0: virtio=${port.mac.toUpperCase()},bridge=${plan.bridge}\nostype: l26\n`;
}

function uuidFrom(s: string): string {
  const h = createHash('sha256').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
