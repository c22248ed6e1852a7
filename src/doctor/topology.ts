import type { Interface, Observation } from '../model/types.js';
import { expandFeatures, remedyFor } from './remedy.js';
import type { CheckNote, Finding, TopologyResult } from './types.js';
import { tunnelChecks } from './ovs-tunnels.js';

export interface TopologyContext {
  /** IP forwarding of the namespace (src/kernel/stats.ts readForwarding). */
  forwarding: { ipv4: boolean; ipv6: boolean };
}

export type { TopologyResult } from './types.js';

const isBridge = (i: Interface) => i.kind === 'bridge' || i.role === 'bridge';
const isVmPort = (i: Interface) => i.role === 'vm-port';
const isTap = (i: Interface) => i.kind === 'tun' || (i.role === 'vm-port' && (i.kind === null || i.kind === 'tun'));

/** Pure checks over one observation of the host. */
export function topologyChecks(obs: Observation, ctx: TopologyContext): TopologyResult {
  const out: TopologyResult = { findings: [], checks: [] };
  bridgePortMtu(obs.interfaces, out);
  lroForwarding(obs.interfaces, ctx, out);
  tapNegotiatedAway(obs.interfaces, out);
  pathDisagreement(obs.interfaces, out);
  tunnelChecks(obs, out);
  return out;
}

/**
 * Bridge ports whose MTU differs from the bridge's. The bridge drops a forwarded frame larger than the
 * egress port's MTU unless it is a GSO packet (net/bridge/br_forward.c br_dev_queue_push_xmit →
 * is_skb_forwardable, which lets skb_is_gso() through): so TCP (GRO/GSO-aggregated) works while
 * UDP/ICMP of the same size is dropped — trouble that comes and goes with offloads.
 */
function bridgePortMtu(ifs: readonly Interface[], out: TopologyResult): void {
  for (const br of ifs.filter(isBridge)) {
    if (br.ovs) {
      // An OVS bridge forwards in its datapath, not through its internal port: a port's MTU against the
      // internal port says nothing (OpenStack's br-int stays 1500 with 1450 taps); the tunnel path check covers OVS.
      out.checks.push({
        check: 'bridge-port-mtu',
        ifname: br.name,
        result: 'skipped',
        reason: 'Open vSwitch bridge: see tunnel-path-mtu',
      });
      continue;
    }
    const ports = ifs.filter((p) => p.master === br.name);
    if (ports.length === 0) {
      out.checks.push({ check: 'bridge-port-mtu', ifname: br.name, result: 'skipped', reason: 'bridge has no ports' });
      continue;
    }
    if (pulledDown(br, ports, out)) continue;
    for (const p of ports) {
      if (p.mtu === br.mtu) {
        out.checks.push({
          check: 'bridge-port-mtu',
          ifname: p.name,
          result: 'ok',
          reason: `mtu ${p.mtu} = ${br.name} mtu ${br.mtu}`,
        });
        continue;
      }
      const smaller = p.mtu < br.mtu;
      out.findings.push({
        id: 'bridge-port-mtu',
        source: 'topology',
        severity: smaller ? 'error' : 'warning',
        title: `${p.name}: MTU ${p.mtu} differs from its bridge ${br.name} (MTU ${br.mtu})`,
        interfaces: [p.name, br.name],
        features: ['tx-generic-segmentation', 'rx-gro'],
        evidence: [`${br.name} mtu ${br.mtu}`, `${p.name} mtu ${p.mtu} (port of ${br.name}, role ${p.role})`],
        cause: smaller
          ? `Frames up to ${br.mtu} bytes forwarded to ${p.name} are dropped (is_skb_forwardable) unless they are GSO packets, which pass and are segmented later: large TCP works with GRO/GSO on, breaks with them off, and non-TCP traffic of that size is always dropped. Mismatched MTUs look like offload trouble.`
          : `${p.name} accepts larger frames than ${br.name}: traffic from the bridge itself is limited to ${br.mtu}, and frames between ports pass or not depending on the other port. Usually a leftover of a partial MTU change.`,
        references: [
          'kernel source: net/bridge/br_forward.c br_dev_queue_push_xmit (is_skb_forwardable)',
          'kernel source: net/bridge/br_if.c br_mtu_auto_adjust',
        ],
        fix: {
          offloadctl: [],
          ethtool: [],
          other: [`ip link set dev ${p.name} mtu ${br.mtu}   # or set the bridge and every port to one MTU`],
          measure: null,
        },
      });
    }
  }
}

/**
 * A bridge whose MTU was not set by hand follows its ports: net/bridge/br_if.c br_mtu_auto_adjust
 * sets it to br_mtu_min(), the lowest port MTU, whenever a port joins or changes its MTU. One port
 * lowered (vif2.0 to 1400) pulls the bridge down with it, and then every OTHER port differs from the
 * bridge: the port to name is the one at the minimum, not the others. (A bridge MTU set by hand,
 * BROPT_MTU_SET_BY_USER, stays; then the bridge is not at its ports' minimum, or every port agrees.)
 * The MTUs alone do not say which port moved: the port(s) at the minimum are named when they are
 * fewer than the others, or below the default 1500 while the others are at it.
 * Returns true when it reported the bridge this way.
 */
function pulledDown(br: Interface, ports: readonly Interface[], out: TopologyResult): boolean {
  const min = Math.min(...ports.map((p) => p.mtu));
  const larger = ports.filter((p) => p.mtu > br.mtu);
  if (br.mtu !== min || larger.length === 0) return false;
  const culprits = ports.filter((p) => p.mtu === min);
  // Which side moved? The minority at the minimum, or ports below the default 1500 while the rest
  // are at it. Otherwise (one port at 1500, one raised to 9000) the raised ones differ: per port.
  if (!(culprits.length < larger.length || (min < 1500 && larger.every((p) => p.mtu === 1500)))) return false;
  const usual = Math.max(...larger.map((p) => p.mtu));
  const names = culprits.map((p) => p.name);
  for (const p of larger) {
    out.checks.push({
      check: 'bridge-port-mtu',
      ifname: p.name,
      result: 'ok',
      reason: `mtu ${p.mtu}: ${br.name} (mtu ${br.mtu}) was pulled down by ${names.join(', ')}`,
    });
  }
  out.findings.push({
    id: 'bridge-port-mtu',
    source: 'topology',
    severity: 'error',
    title: `${names.join(', ')}: MTU ${min} pulled its bridge ${br.name} down to ${min} (the other ${larger.length} port${larger.length === 1 ? '' : 's'}: ${usual})`,
    interfaces: [...names, br.name],
    features: ['tx-generic-segmentation', 'rx-gro'],
    evidence: [
      `${br.name} mtu ${br.mtu} = its lowest port MTU (br_mtu_min)`,
      ...culprits.map((p) => `${p.name} mtu ${p.mtu} (port of ${br.name}, role ${p.role}): the lowest`),
      ...larger.map((p) => `${p.name} mtu ${p.mtu} (port of ${br.name}, role ${p.role})`),
    ],
    cause:
      `A bridge takes the lowest MTU of its ports (br_mtu_auto_adjust): ${names.join(', ')} at ${min} lowered ${br.name} from ${usual}. ` +
      `Frames up to ${usual} bytes between the other ports still pass, but those forwarded to ${names.join(', ')} are dropped (is_skb_forwardable) unless they are GSO packets, ` +
      'which pass and are segmented later: large TCP works with GRO/GSO on and breaks with them off, other traffic of that size is always dropped — it looks like offload trouble.',
    references: [
      'kernel source: net/bridge/br_if.c br_mtu_auto_adjust, br_mtu_min',
      'kernel source: net/bridge/br_forward.c br_dev_queue_push_xmit (is_skb_forwardable)',
    ],
    fix: {
      offloadctl: [],
      ethtool: [],
      other: names.map(
        (n) =>
          `ip link set dev ${n} mtu ${usual}   # ${br.name} follows back up (br_mtu_auto_adjust); or find what lowered it (the VM, a script)`,
      ),
      measure: null,
    },
  });
  return true;
}

/**
 * LRO on an interface that bridges or forwards. The kernel turns LRO off when a device joins a bridge
 * (net/bridge/br_if.c br_add_if → dev_disable_lro) or forwarding is enabled (net/ipv4/devinet.c
 * → dev_disable_lro), because LRO-merged packets cannot be forwarded (skb_warn_if_lro). The check
 * goes by the ACTIVE state: a feature that is off and fixed (veth: rx-lro off [fixed]) cannot be
 * turned on, so it is fine; on and fixed means the driver ignored dev_disable_lro.
 */
function lroForwarding(ifs: readonly Interface[], ctx: TopologyContext, out: TopologyResult): void {
  const forwarding = ctx.forwarding.ipv4 || ctx.forwarding.ipv6;
  for (const i of ifs) {
    if (i.role === 'loopback' || i.kind === 'bridge') continue;
    const lro = i.features['rx-lro'];
    if (!lro) {
      out.checks.push({
        check: 'lro-while-forwarding',
        ifname: i.name,
        result: 'skipped',
        reason: 'no rx-lro feature reported',
      });
      continue;
    }
    const bridged = i.master !== null;
    if (!lro.active) {
      out.checks.push({
        check: 'lro-while-forwarding',
        ifname: i.name,
        result: 'ok',
        reason: `rx-lro off${lro.fixed ? ' [fixed]: the driver cannot turn it on' : lro.requested ? ' [requested on]' : ''}`,
      });
      continue;
    }
    if (!bridged && !forwarding) {
      out.checks.push({
        check: 'lro-while-forwarding',
        ifname: i.name,
        result: 'ok',
        reason: 'rx-lro on, but not a bridge/bond port and forwarding is off',
      });
      continue;
    }
    const why = bridged
      ? `port of ${i.master}`
      : `IP forwarding on (${[ctx.forwarding.ipv4 ? 'ipv4' : '', ctx.forwarding.ipv6 ? 'ipv6' : ''].filter(Boolean).join(', ')})`;
    out.findings.push({
      id: 'lro-while-forwarding',
      source: 'topology',
      severity: 'error',
      title: `${i.name}: LRO is on while it ${bridged ? 'is a bridge/bond port' : 'forwards'}`,
      interfaces: [i.name],
      features: ['rx-lro'],
      evidence: [
        `${i.name}: rx-lro on${lro.fixed ? ' [fixed]' : ''}${lro.requested ? '' : ' [requested off]'}; ${why}`,
      ],
      cause:
        'LRO-merged packets cannot be forwarded exactly; the kernel drops them ("received packets cannot be forwarded while LRO is enabled"). ' +
        (lro.fixed
          ? 'rx-lro is fixed on this device: the driver ignores the request to turn it off ("failed to disable LRO!"): a driver/firmware update or a module parameter is needed.'
          : 'The kernel normally turns it off itself; something turned it back on.'),
      references: [
        'kernel source: net/core/dev.c dev_disable_lro',
        'kernel source: net/bridge/br_if.c br_add_if',
        'kernel source: include/linux/skbuff.h skb_warn_if_lro',
      ],
      fix: lro.fixed
        ? { offloadctl: [], ethtool: [], other: [], measure: null }
        : remedyFor([i.name], ['rx-lro'], { known: Object.keys(i.features) }),
    });
  }
}

/**
 * Taps whose offloads the guest (through QEMU's TUNSETOFFLOAD) did not enable: requested on, active
 * off. drivers/net/tun.c tun_net_fix_features keeps only what set_features (from TUNSETOFFLOAD)
 * allows, so ethtool can turn these off but not on. A fresh tap shows the same before QEMU sets them.
 */
function tapNegotiatedAway(ifs: readonly Interface[], out: TopologyResult): void {
  const dormant: { i: Interface; away: string[] }[] = [];
  for (const i of ifs.filter(isTap)) {
    const away = Object.entries(i.features)
      .filter(([, s]) => s.requested && !s.active && !s.fixed)
      .map(([n]) => n)
      .sort();
    if (away.length === 0) {
      out.checks.push({
        check: 'tap-offloads',
        ifname: i.name,
        result: 'ok',
        reason: 'every requested feature is active',
      });
      continue;
    }
    if (unopened(i)) {
      dormant.push({ i, away });
      continue;
    }
    const vm = i.vm ? ` (VM ${i.vm.name ?? i.vm.id ?? '?'} on ${i.vm.platform})` : '';
    out.findings.push({
      id: 'tap-offloads-negotiated-away',
      source: 'topology',
      severity: 'info',
      title: `${i.name}${vm}: ${away.length} offload(s) requested but not active: the guest did not enable them`,
      interfaces: [i.name],
      features: away,
      evidence: away.map((f) => `${i.name}: ${f} off [requested on]`),
      cause:
        "QEMU sets a tap's offloads from what the guest's virtio-net driver negotiated; the kernel keeps only those, and ethtool can turn them off but not on. " +
        'Seen with non-virtio NIC models, guests that turned offloads off themselves, or a tap no VM has opened yet. ' +
        'The host then segments and checksums every packet for this VM in software (GRO-merged packets from the uplink are split again before the tap).',
      references: ['kernel source: drivers/net/tun.c tun_net_fix_features, set_offload (TUNSETOFFLOAD)'],
      fix: {
        offloadctl: [],
        ethtool: [],
        other: ["inside the guest: ethtool -k IFACE   # and the VM's NIC model (virtio-net)"],
        measure: null,
      },
    });
  }
  if (dormant.length === 0) return;
  // Taps nothing has opened yet: one finding for all of them, ranked after every real one.
  const names = dormant.map((d) => d.i.name);
  out.findings.push({
    id: 'tap-offloads-negotiated-away',
    source: 'topology',
    severity: 'info',
    title:
      dormant.length === 1
        ? `${names[0]}: a tap no VM has opened yet: its offloads stay off until QEMU sets them`
        : `${dormant.length} taps no VM has opened yet (${names.slice(0, 5).join(', ')}${dormant.length > 5 ? ', ...' : ''}): offloads stay off until QEMU sets them`,
    interfaces: names,
    features: [...new Set(dormant.flatMap((d) => d.away))].sort(),
    evidence: dormant.map(
      (d) => `${d.i.name}: no carrier (no process has it open); ${d.away.join(', ')} off [requested on]`,
    ),
    cause:
      'A tap nothing has attached to has no carrier, and its TSO/checksum offloads stay off until its owner (QEMU) sets them from what the guest negotiated (TUNSETOFFLOAD). ' +
      'Expected for a tap created ahead of its VM; nothing to fix unless a VM should be running on it.',
    references: [
      'kernel source: drivers/net/tun.c tun_net_fix_features, set_offload (TUNSETOFFLOAD), tun_attach (netif_carrier_on)',
    ],
    fix: { offloadctl: [], ethtool: [], other: [], measure: null },
    dormant: true,
  });
}

/**
 * A tap no process has attached to: tun_attach turns the carrier on, the last detach turns it off
 * (drivers/net/tun.c), so its operstate is DOWN ("NO-CARRIER" in ip link) even when set up.
 */
function unopened(i: Interface): boolean {
  return i.kind === 'tun' && i.operstate === 'DOWN';
}

const PATH_FEATURES: readonly { label: string; feature: string }[] = [
  { label: 'tso', feature: 'tx-tcp-segmentation' },
  { label: 'gso', feature: 'tx-generic-segmentation' },
  { label: 'gro', feature: 'rx-gro' },
  { label: 'sg', feature: 'tx-scatter-gather' },
];

/**
 * GRO/GSO/TSO/SG disagreement along a VM's path (uplink ↔ bridge ↔ VM port): one hop deliberately
 * off (requested off, changeable) while others have it on — the half-applied "turn TSO/GSO off"
 * advice. Hops where requested≠active (taps negotiated down) or fixed bits are not counted.
 * One finding per bridge and feature.
 */
function pathDisagreement(ifs: readonly Interface[], out: TopologyResult): void {
  for (const br of ifs.filter(isBridge)) {
    const ports = ifs.filter((p) => p.master === br.name);
    const vmPorts = ports.filter(isVmPort);
    if (vmPorts.length === 0) continue;
    const uplinks = ports.filter((p) => p.role === 'uplink' || p.role === 'physical' || p.role === 'bond');
    const hops = [...uplinks, br, ...vmPorts];
    for (const { label, feature } of PATH_FEATURES) {
      // rx-gro is off by default on veth (a fresh veth shows gro off here; veth turns GRO on only
      // when asked or for XDP): a veth hop with gro off is the default, not a half-applied change.
      const hopsF = label === 'gro' ? hops.filter((h) => h.kind !== 'veth') : hops;
      const on = hopsF.filter((h) => h.features[feature]?.active);
      const deliberatelyOff = hopsF.filter((h) => {
        const s = h.features[feature];
        return s && !s.active && !s.requested && !s.fixed;
      });
      if (on.length === 0 || deliberatelyOff.length === 0) {
        out.checks.push({
          check: 'path-offloads',
          ifname: br.name,
          result: 'ok',
          reason: `${label}: no deliberate disagreement along ${hops.length} hop(s)`,
        });
        continue;
      }
      out.findings.push({
        id: 'path-offload-mismatch',
        source: 'topology',
        severity: 'warning',
        title: `${br.name}: ${label} is off on ${deliberatelyOff.map((h) => h.name).join(', ')} but on elsewhere on the VM path`,
        interfaces: hops.map((h) => h.name),
        features: [feature],
        evidence: hops.map((h) => {
          const s = h.features[feature];
          return `${h.name} (${h.role}): ${label} ${s ? (s.active ? 'on' : 'off') + (s.fixed ? ' [fixed]' : '') + (s.requested !== s.active ? ` [requested ${s.requested ? 'on' : 'off'}]` : '') : 'n/a'}`;
        }),
        cause:
          `A half-applied change: ${label} is off on some hops of the uplink ↔ bridge ↔ VM path only. ` +
          'Forwarded VM traffic never uses the bridge\'s own transmit features: it leaves through the egress port (br_dev_queue_push_xmit → dev_queue_xmit on the port), so "off" on the bridge affects only what the host itself sends through it, ' +
          'and "off" on one port makes the kernel segment in software at that port only. The intended effect is partial either way. ' +
          'Make the path consistent — one policy for every hop — and measure which way is better here.',
        references: [
          'kernel source: net/bridge/br_forward.c br_dev_queue_push_xmit',
          'kernel source: net/bridge/br_if.c br_features_recompute',
        ],
        fix: {
          ...remedyFor(
            deliberatelyOff.map((h) => h.name),
            expandFeatures([label], Object.keys(br.features)),
            { value: 'on', known: Object.keys(br.features) },
          ),
          measure: `offloadctl bench --profiles offloads-on,tso-gso-off   # measure it on a lab path first (--lab netns|vm), or --server HOST`,
        },
      });
    }
  }
}
