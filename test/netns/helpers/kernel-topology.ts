/**
 * The namespace topology of the kernel-boundary tests and fixtures: a bridge with VM-like ports,
 * taps with and without vnet_hdr, macvlan, macvtap (libvirt's "direct"), VXLAN, names of 15
 * characters and names with dots and dashes (Xen vif3.0-emu, OpenStack tap-XXXXXXXX-XX).
 * Lines for `ip -batch`; run only inside a namespace the caller created.
 */
export const KERNEL_TOPOLOGY: readonly string[] = [
  'link add br0 type bridge',
  'link add vif3.0 type veth peer name vif3.0-emu',
  'link add abcdefghijklmno type veth peer name tap-fe12ab-3c',
  'tuntap add mode tap vnet_hdr name tap100i0',
  'tuntap add mode tap name tap101i0',
  // libvirt-style: multi-queue, owned by a user and group (QEMU runs as one)
  'tuntap add mode tap vnet_hdr multi_queue user 0 group 0 name vnet7',
  'link add mv0 link abcdefghijklmno type macvlan mode bridge',
  'link add macvtap0 link abcdefghijklmno type macvtap mode bridge',
  'link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.1',
  'link set vif3.0 master br0',
  'link set tap100i0 master br0',
  'link set br0 up',
  'link set vif3.0 up',
  'link set vif3.0-emu up',
];

/** `ethtool -K` argv tails that put features into unusual states (run with `ip netns exec`). */
export const UNUSUAL_STATES: readonly string[][] = [
  // TSO and GRO off on a bridge port
  ['vif3.0', 'tso', 'off', 'gro', 'off'],
  // SG off: TSO/GSO drop to "off [requested on]" (netdev_fix_features); GRO-list on
  ['abcdefghijklmno', 'sg', 'off', 'rx-gro-list', 'on'],
  ['tap-fe12ab-3c', 'tx-udp-segmentation', 'off', 'rx-checksum', 'off'],
  // the bridge itself
  ['br0', 'gso', 'off'],
];
