import type { LinkInfo, Role } from '../model/types.js';
import { vmHintFromName, type NameHint } from './vm.js';

/** IFF_LOOPBACK (include/uapi/linux/if.h). */
const IFF_LOOPBACK = 0x8;

/** rtnetlink kinds of tunnel devices. */
const TUNNEL_KINDS = new Set([
  'vxlan',
  'geneve',
  'gre',
  'gretap',
  'ip6gre',
  'ip6gretap',
  'erspan',
  'ip6erspan',
  'ipip',
  'sit',
  'ip6tnl',
  'vti',
  'vti6',
  'bareudp',
  'wireguard',
  'gtp',
  'fou',
]);

/**
 * The role a hypervisor operator recognises, from the link's kind, name and master.
 * `masterKind` is the kind of the link's master when known (a bridge or a bond); `hint` what the
 * name says (vmHintFromName), passed in when the caller has it already.
 *
 * Order matters: the platforms' VM/firewall naming schemes win over the link kind, because a VM port
 * is a tap (libvirt, Proxmox, OpenStack), a netback device with no rtnl kind (Xen vif), or a veth
 * (Proxmox containers `veth<vmid>i<n>`), and Proxmox/OpenStack firewall plumbing is bridges and veths.
 */
export function classifyRole(
  link: LinkInfo,
  masterKind: string | null = null,
  hint: NameHint | null = vmHintFromName(link.name),
): Role {
  const kind = link.kind;
  if (link.name === 'lo' || (link.flags & IFF_LOOPBACK) !== 0) return 'loopback';
  if (hint?.firewall) return 'firewall';
  if (kind === 'bridge') return 'bridge';
  if (hint?.port) return 'vm-port';
  if (kind === 'tun') return link.tun?.type === 'tun' ? 'other' : 'vm-port';
  if (kind === 'macvtap') return 'vm-port';
  const bridgePort = link.slaveKind === 'bridge' || (link.masterIndex !== null && masterKind === 'bridge');
  if (kind === 'bond') return bridgePort ? 'uplink' : 'bond';
  if (kind === 'vlan') return 'vlan';
  if (kind === 'veth') return 'veth';
  if (kind !== null && TUNNEL_KINDS.has(kind)) return 'tunnel';
  if (kind === null && link.physical) return bridgePort ? 'uplink' : 'physical';
  return 'other';
}
