import type { Interface, Observation, OvsBridgeSummary } from '../model/types.js';
import { remedyFor } from './remedy.js';
import type { TopologyResult } from './types.js';

/**
 * Tunnel checks (Open vSwitch hosts and plain VXLAN/Geneve devices):
 * - checksum offload on a VXLAN/Geneve device: with tx-checksum-ip-generic on, a single software
 *   tunnel device has been measured at 50–300 Mbit/s instead of line rate on kernels 6.12+
 *   (projectcalico/calico#11435), and older kernels corrupted checksums of NATed tunnel traffic
 *   (projectcalico/calico#3145, fixed in 5.7). Off costs little: the outer UDP checksum is
 *   computed in software anyway unless the NIC offloads the tunnel.
 * - MTU along the tunnel path: a VM port on a bridge that reaches a tunnel port (directly or via
 *   patch ports, e.g. OpenStack br-int → br-tun) must leave room for the encapsulation. OVS sets DF
 *   on the outer header by default (Interface options:df_default=true, vswitch.xml), so an
 *   encapsulated frame larger than the underlay MTU is dropped instead of fragmented.
 */

const TUNNEL_DEVICE_KINDS = new Set(['vxlan', 'geneve']);

/** Encapsulation overhead over IPv4 (outer IP 20 + UDP 8 + VXLAN/Geneve 8 + inner Ethernet 14); GRE: IP 20 + GRE 4 (+4 key) + Ethernet 14. IPv6 outer: +20. */
export function tunnelOverhead(type: string, options: Record<string, string>): number {
  const v6 = (options.remote_ip ?? '').includes(':') || (options.local_ip ?? '').includes(':');
  const ip = v6 ? 40 : 20;
  switch (type) {
    case 'vxlan':
      return ip + 8 + 8 + 14;
    case 'geneve':
      return ip + 8 + 8 + 14; // plus options (OVN: 8 more, which is why OVN asks for 58)
    case 'gre':
    case 'ip6gre':
      return ip + 4 + (options.key ? 4 : 0) + 14;
    case 'stt':
      return ip + 20 + 18 + 14;
    default:
      return ip + 8 + 8 + 14;
  }
}

export function tunnelChecks(obs: Observation, out: TopologyResult): void {
  tunnelChecksum(obs.interfaces, out);
  if (obs.ovsBridges) tunnelPathMtu(obs.interfaces, obs.ovsBridges, out);
}

function tunnelChecksum(ifs: readonly Interface[], out: TopologyResult): void {
  for (const i of ifs) {
    if (!(i.kind !== null && TUNNEL_DEVICE_KINDS.has(i.kind))) continue;
    const csum = i.features['tx-checksum-ip-generic'];
    if (!csum?.active) {
      out.checks.push({
        check: 'tunnel-checksum-offload',
        ifname: i.name,
        result: 'ok',
        reason: 'tx-checksum-ip-generic off',
      });
      continue;
    }
    out.findings.push({
      id: 'tunnel-checksum-offload',
      source: 'topology',
      // info, not warning: it is every VXLAN device's default and right on many hosts; measure
      severity: 'info',
      title: `${i.name}: checksum offload (tx-checksum-ip-generic) is on on a ${i.kind} tunnel device`,
      interfaces: [i.name],
      features: ['tx-checksum-ip-generic'],
      evidence: [
        `${i.name} (${i.kind}${i.master ? `, master ${i.master}` : ''}): tx-checksum-ip-generic on${csum.fixed ? ' [fixed]' : ''}`,
      ],
      cause:
        'A software VXLAN/Geneve device with checksum offload on has been measured at 50–300 Mbit/s instead of line rate on kernels 6.12+ (turning only this bit off restored 9+ Gbit/s), ' +
        'and older kernels (< 5.7) produced bad checksums for tunnel traffic that was NATed on the way out (63 s delays). ' +
        'Measure before and after: on NICs that offload the tunnel, on can be right.',
      references: [
        'https://github.com/projectcalico/calico/issues/11435',
        'https://github.com/projectcalico/calico/issues/3145',
      ],
      fix: csum.fixed
        ? { offloadctl: [], ethtool: [], other: [], measure: null }
        : {
            ...remedyFor([i.name], ['tx-checksum-ip-generic'], { known: Object.keys(i.features) }),
            measure: 'iperf3 through the tunnel before and after',
          },
    });
  }
}

/** Bridges connected by patch ports, as components. */
function components(bridges: readonly OvsBridgeSummary[]): Map<string, Set<string>> {
  const adj = new Map<string, Set<string>>();
  for (const b of bridges) adj.set(b.name, new Set(b.patchedTo));
  for (const b of bridges) for (const p of b.patchedTo) adj.get(p)?.add(b.name);
  const comp = new Map<string, Set<string>>();
  for (const b of bridges) {
    if (comp.has(b.name)) continue;
    const set = new Set<string>();
    const stack = [b.name];
    while (stack.length) {
      const n = stack.pop()!;
      if (set.has(n)) continue;
      set.add(n);
      for (const m of adj.get(n) ?? []) stack.push(m);
    }
    for (const n of set) comp.set(n, set);
  }
  return comp;
}

function tunnelPathMtu(ifs: readonly Interface[], bridges: readonly OvsBridgeSummary[], out: TopologyResult): void {
  const comp = components(bridges);
  // The underlay is one of the host's NICs (outside or inside OVS); without routes, take the largest
  // MTU of the NICs that are up: a finding then means it fits on none of them.
  const nics = ifs.filter(
    (i) => i.role === 'physical' || i.role === 'uplink' || (i.role === 'bond' && i.master === null),
  );
  const up = nics.filter((i) => i.operstate === 'UP');
  const underlay = (up.length ? up : nics).reduce<Interface | null>(
    (a, b) => (a === null || b.mtu > a.mtu ? b : a),
    null,
  );
  const seen = new Set<Set<string>>();
  for (const b of bridges) {
    const group = comp.get(b.name)!;
    if (seen.has(group)) continue;
    seen.add(group);
    const tunnels = bridges.filter((x) => group.has(x.name)).flatMap((x) => x.tunnels);
    if (tunnels.length === 0) continue;
    const names = [...group].sort().join(', ');
    if (!underlay) {
      out.checks.push({
        check: 'tunnel-path-mtu',
        ifname: b.name,
        result: 'skipped',
        reason: `no physical NIC or bond to carry the tunnels of ${names}`,
      });
      continue;
    }
    const overhead = Math.max(...tunnels.map((t) => tunnelOverhead(t.type, t.options)));
    const limit = underlay.mtu - overhead;
    const vmPorts = ifs.filter((i) => i.role === 'vm-port' && i.ovs && group.has(i.ovs.bridge));
    const tooBig = vmPorts.filter((p) => p.mtu > limit);
    if (tooBig.length === 0) {
      out.checks.push({
        check: 'tunnel-path-mtu',
        ifname: b.name,
        result: 'ok',
        reason: `${vmPorts.length} VM port(s) of ${names} fit ${underlay.name} mtu ${underlay.mtu} − ${overhead}`,
      });
      continue;
    }
    const t = tunnels[0]!;
    out.findings.push({
      id: 'tunnel-path-mtu',
      source: 'topology',
      severity: 'error',
      title: `${tooBig.map((p) => p.name).join(', ')}: MTU too large for the ${t.type} tunnel of ${names} (underlay ${underlay.name} mtu ${underlay.mtu} − ${overhead} = ${limit})`,
      interfaces: [...tooBig.map((p) => p.name), underlay.name],
      features: ['tx-generic-segmentation', 'tx-tcp-segmentation', 'rx-gro'],
      evidence: [
        ...tooBig.map((p) => `${p.name} (VM port on ${p.ovs!.bridge}): mtu ${p.mtu}`),
        ...tunnels.map(
          (x) =>
            `tunnel ${x.name} (${x.type}${x.options.remote_ip ? ` to ${x.options.remote_ip}` : ''}): ${tunnelOverhead(x.type, x.options)} bytes of encapsulation`,
        ),
        `underlay: ${underlay.name} mtu ${underlay.mtu} (largest MTU of the host's NICs that are up)`,
      ],
      cause:
        'Full-size frames from these VMs do not fit the underlay once encapsulated. OVS sets DF on the outer header (options:df_default=true), so they are dropped, not fragmented. ' +
        'TCP often still works while GSO/TSO/GRO are on (segments are cut to fit later or the path MTU is learned), and breaks when offloads are turned off — it looks like offload trouble. ' +
        'Give the VMs an MTU of the underlay minus the overhead (OpenStack: neutron global_physnet_mtu / path_mtu), or raise the underlay MTU.',
      references: [
        'Open vSwitch vswitch.xml: Interface options:df_default',
        'kernel source: net/openvswitch/vport.c ovs_vport_send (over-MTU drop)',
      ],
      fix: {
        offloadctl: [],
        ethtool: [],
        other: [
          ...tooBig.map((p) => `# inside the VM of ${p.name}: ip link set dev IFACE mtu ${limit}`),
          `ip link set dev ${underlay.name} mtu ${underlay.mtu + (Math.max(...tooBig.map((p) => p.mtu)) - limit)}   # or raise the underlay`,
        ],
        measure: null,
      },
    });
  }
}
