import { formatVm } from '../host/vm.js';
import type { AuditReport, FeatureFinding } from './audit.js';

/**
 * Human view of an audit report (pure: report → lines). Kernel features covered by one ethtool
 * short name are grouped under it ("tso" for every tx-tcp*-segmentation bit), as operators read
 * `ethtool -k`; `--json` keeps the kernel names.
 */

export interface FindingRow {
  ifname: string;
  role: string;
  /** formatVm(): libvirt:NAME, proxmox:ID, xen:domID, or '-'. */
  vm: string;
  /** Short name (tso, gso ...) or the kernel name when no short name covers it. */
  feature: string;
  expected: boolean;
  actual: boolean;
  fixed: boolean;
  rule: string;
  /** Kernel features in the group. */
  kernel: string[];
  /** Members whose requested value differs from their active one. */
  requestedDiffers: boolean;
  requested: boolean;
  /** Held off by the guest or the ports (audit.ts): no request changes it. */
  heldBy?: 'guest' | 'ports';
}

const onoff = (b: boolean) => (b ? 'on' : 'off');

export function groupFindings(findings: readonly FeatureFinding[]): FindingRow[] {
  const rows: FindingRow[] = [];
  const index = new Map<string, FindingRow>();
  for (const f of findings) {
    const feature = f.shortName ?? f.feature;
    const key = [f.ifindex, f.ifname, feature, f.expected, f.fixed, f.rule, f.heldBy ?? ''].join('\0');
    let row = index.get(key);
    if (!row) {
      row = {
        ifname: f.ifname,
        role: f.role,
        vm: formatVm(f.vm),
        feature,
        expected: f.expected,
        actual: f.actual,
        fixed: f.fixed,
        rule: f.rule,
        kernel: [],
        requestedDiffers: false,
        requested: f.requested,
        ...(f.heldBy ? { heldBy: f.heldBy } : {}),
      };
      index.set(key, row);
      rows.push(row);
    }
    row.kernel.push(f.feature);
    if (f.requested !== f.actual) {
      row.requestedDiffers = true;
      row.requested = f.requested;
    }
  }
  return rows;
}

export function summaryLine(r: AuditReport): string {
  const pol = `policy ${r.policy}${r.source === 'builtin' ? ' (built-in)' : r.source ? ` (${r.source})` : ''}`;
  const s = r.summary;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (s.audited === 0 && s.mtuMismatches === 0) {
    return `compliant: ${pol}: no interface to audit (${s.observed} observed, none selected by the policy)`;
  }
  const fixed = s.unchangeable ? `${s.unchangeable} unchangeable (fixed)${r.strict ? '' : ' not counted'}` : '';
  const held = s.held ? `${s.held} held by the guest or the ports${r.strict ? '' : ' not counted'}` : '';
  if (r.compliant) {
    const notes = [fixed, held].filter(Boolean).join(', ');
    return `compliant: ${pol}: all ${s.audited} audited interfaces comply${notes ? `, ${notes}` : ''}`;
  }
  const what: string[] = [];
  if (s.deviating) {
    const kinds = [s.changeable ? plural(s.changeable, 'changeable feature') : '', fixed, held].filter(Boolean);
    what.push(`${s.deviating} of ${s.audited} interfaces deviate (${kinds.join(', ')})`);
  }
  if (s.mtuMismatches) what.push(`${plural(s.mtuMismatches, 'bridge port')} with an MTU different from the bridge`);
  return `NOT compliant: ${pol}: ${what.join('; ')}`;
}

export function findingTable(rows: readonly FindingRow[]): { headers: string[]; cells: string[][] } {
  return {
    headers: ['INTERFACE', 'ROLE', 'VM', 'FEATURE', 'EXPECTED', 'ACTUAL', 'CHANGEABLE', 'RULE', 'KERNEL FEATURES'],
    cells: rows.map((r) => [
      r.ifname,
      r.role,
      r.vm,
      r.feature,
      onoff(r.expected),
      onoff(r.actual) + (r.requestedDiffers ? ` [requested ${onoff(r.requested)}]` : ''),
      r.fixed ? 'no (fixed)' : r.heldBy ? `no (${r.heldBy})` : 'yes',
      r.rule,
      r.kernel.length === 1 && r.kernel[0] === r.feature ? '' : r.kernel.join(','),
    ]),
  };
}

export function mtuTable(r: AuditReport): { headers: string[]; cells: string[][] } {
  return {
    headers: ['PORT', 'ROLE', 'BRIDGE', 'PORT MTU', 'BRIDGE MTU'],
    cells: r.mtuMismatches.map((m) => [m.ifname, m.role, m.bridge, String(m.mtu), String(m.bridgeMtu)]),
  };
}
