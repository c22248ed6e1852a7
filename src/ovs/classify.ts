import type { LinkInfo, Role, VmRef } from '../model/types.js';
import type { NameHint } from '../host/vm.js';
import { OVS_TUNNEL_TYPES, type OvsPortFacts } from './ports.js';

/**
 * Role and owner of a kernel link that OVSDB lists as an OVS interface. OVS's own records win over
 * the kernel's view: on the kernel datapath every port's master is `ovs-system`, on the userspace
 * datapath there is no master at all, and an internal port is an rtnl `openvswitch` (kernel
 * datapath) or `tun` (userspace datapath) device.
 */
export function ovsRole(link: LinkInfo, f: OvsPortFacts, hint: NameHint | null): Role {
  if (f.type === 'internal') return f.port === f.bridge ? 'bridge' : 'other';
  if (OVS_TUNNEL_TYPES.has(f.type)) return 'tunnel';
  if (hint?.firewall) return 'firewall';
  if (ownerKeys(f.externalIds) || hint?.port) return 'vm-port';
  if (f.type === 'tap' || (link.kind === 'tun' && link.tun?.type === 'tap') || link.kind === 'macvtap')
    return 'vm-port';
  if (f.bond || link.kind === 'bond' || link.kind === 'team') return 'uplink';
  if (link.kind === null && link.physical) return 'uplink';
  if (link.kind === 'vlan') return 'vlan';
  if (link.kind === 'veth') return 'veth';
  return 'other';
}

/** external_ids keys that name a VM's NIC (OpenStack/os-vif, libvirt, XAPI). */
const OWNER_KEYS = ['iface-id', 'vm-uuid', 'vm-id', 'xs-vm-uuid', 'xs-vif-uuid', 'attached-mac'] as const;

function ownerKeys(ids: Record<string, string>): boolean {
  return OWNER_KEYS.some((k) => ids[k] !== undefined && ids[k] !== '');
}

/**
 * The VM an OVS interface belongs to, from its external_ids:
 * - XAPI (XCP-ng/XenServer, its vif hotplug script): xs-vm-uuid, xs-vif-uuid, xs-network-uuid → xen.
 * - OpenStack (os-vif / nova): vm-uuid (instance UUID) and iface-id (neutron port UUID) → openstack.
 * - libvirt (<virtualport type='openvswitch'>, virNetDevOpenvswitchAddPort): vm-id (domain UUID),
 *   iface-id (random unless given), attached-mac → libvirt, unless libvirt's XML says nova owns the domain.
 * `known` is what a local record says (libvirt domain XML, nova metadata): its name is kept.
 */
export function ovsVm(f: OvsPortFacts, known: VmRef | null, hint: NameHint | null): VmRef | null {
  const ids = f.externalIds;
  const name = known?.name ?? null;
  if (ids['xs-vm-uuid']) {
    return {
      platform: 'xen',
      id: ids['xs-vm-uuid'],
      name,
      nic: hint?.vm.platform === 'xen' ? hint.vm.nic : (known?.nic ?? null),
    };
  }
  const nic = ids['attached-mac'] ?? known?.nic ?? null;
  if (ids['vm-uuid'] || (ids['iface-id'] && known?.platform === 'openstack')) {
    return {
      platform: 'openstack',
      id: ids['vm-uuid'] ?? known?.id ?? ids['iface-id']!,
      name,
      nic: ids['iface-id'] ?? nic,
    };
  }
  if (ids['vm-id']) return { platform: 'libvirt', id: ids['vm-id'], name, nic };
  if (ids['iface-id']) return { platform: 'openstack', id: ids['iface-id'], name, nic: ids['iface-id'] };
  if (known) return { ...known };
  return hint ? { ...hint.vm } : null;
}
