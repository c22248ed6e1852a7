import type { LabStatus } from './lab.js';

/** Human text for `lab up` / `lab status` (pure). */
export function labStatusText(st: LabStatus): string {
  const lines: string[] = [];
  lines.push(`lab ${st.name}: ${st.state}${st.missing.length ? ` (missing: ${st.missing.join(', ')})` : ''}`);
  lines.push(`  hypervisor namespace  ${st.hypervisor}`);
  lines.push(`  bridge                ${st.bridge} ${st.bridgeIp}`);
  lines.push(`  uplink                ${st.uplink.name} -> ${st.uplink.ns} ${st.uplink.ip}`);
  lines.push('');
  const head = ['PORT', 'KIND', 'VNET_HDR', 'NAMED LIKE', 'VM', 'GUEST NS', 'GUEST IP'];
  const rows = st.ports.map((p) => [
    p.name,
    p.kind,
    p.kind === 'tap' ? (p.vnetHdr ? 'yes' : 'no') : '-',
    p.scheme,
    p.vm.name,
    p.guestNs ?? '-',
    p.ip ?? '-',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows])
    lines.push(
      '  ' +
        r
          .map((c, i) => c.padEnd(w[i]!))
          .join('  ')
          .trimEnd(),
    );
  lines.push('');
  lines.push('  taps carry no traffic until a VM (QEMU) opens them; veth ports lead to guest namespaces.');
  lines.push('');
  lines.push('Try:');
  lines.push(
    `  offloadctl --netns ${st.hypervisor} status --libvirt-dir ${st.libvirtDir} --proxmox-dir ${st.proxmoxDir}`,
  );
  if (st.guests.length >= 2) lines.push(`  ip netns exec ${st.guests[0]!.ns} ping -c1 ${st.guests[1]!.ip}`);
  else if (st.guests.length === 1) lines.push(`  ip netns exec ${st.guests[0]!.ns} ping -c1 ${st.uplink.ip}`);
  lines.push(`  offloadctl lab down --name ${st.name}`);
  return lines.join('\n') + '\n';
}
