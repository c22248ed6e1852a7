import type { Interface } from '../model/types.js';

/**
 * What is true of OVS devices' features, for the plan.
 *
 * - An OVS internal port (the bridge's own device and other internal ports) has features of its own:
 *   the kernel datapath sets them once in net/openvswitch/vport-internal_dev.c do_setup()
 *   (SG, FRAGLIST, HIGHDMA, HW_CSUM, GSO_SOFTWARE, GSO_ENCAP_ALL, VLAN TX; hw_features = the same minus
 *   LLTX) and nothing recomputes them from the bridge's ports — unlike a Linux bridge
 *   (br_features_recompute → netdev_increment_features). So an OVS bridge does not "follow its ports".
 * - On the userspace datapath the internal port is a tap that ovs-vswitchd opened
 *   (lib/netdev-linux.c netdev_linux_construct_tap()): its TSO/checksum bits are what ovs-vswitchd
 *   enabled with TUNSETOFFLOAD (only with other_config:userspace-tso-enable=true), like QEMU on a VM tap.
 * - The kernel datapath turns LRO off on every port it adds (net/openvswitch/vport-netdev.c
 *   ovs_netdev_link() → dev_disable_lro()), and links the port under ovs-system, whose features lack
 *   LRO: net/core/dev.c netdev_sync_upper_features() clears NETIF_F_UPPER_DISABLES bits (LRO) on a lower
 *   device whenever its features are updated, so LRO cannot be turned back on while it is an OVS port.
 *   (The userspace datapath does not link ports under anything: LRO is the driver's business there;
 *   OVS's own lib/netdev-linux.c never sets it.)
 */

/** The interface's features do not follow its OVS ports (an OVS internal port). */
export function ovsOwnFeatures(iface: Interface): boolean {
  return iface.ovs?.type === 'internal';
}

export function ovsKernelDatapath(iface: Interface): boolean {
  return iface.ovs !== undefined && (iface.ovs.datapathType === '' || iface.ovs.datapathType === 'system');
}

/** Why the kernel will not let `feature` be on for this OVS interface; null when nothing OVS-specific holds it. */
export function ovsHoldsOff(iface: Interface, feature: string): string | null {
  if (feature === 'rx-lro' && ovsKernelDatapath(iface) && iface.ovs?.type !== 'internal') {
    return 'the OVS kernel datapath disabled LRO when it added the port (vport-netdev.c ovs_netdev_link → dev_disable_lro) and ovs-system above it keeps it off (netdev_sync_upper_features)';
  }
  return null;
}

/** heldDetail for an OVS interface whose feature stays off, or null for the generic explanation. */
export function ovsHeldDetail(iface: Interface): string | null {
  if (iface.ovs?.type === 'internal' && iface.kind === 'tun') {
    return 'an OVS internal port on the userspace datapath is a tap ovs-vswitchd owns: it offloads only what ovs-vswitchd enabled (TUNSETOFFLOAD; other_config:userspace-tso-enable)';
  }
  return null;
}
