import type { Desired, Observation } from '../model/types.js';
import type { AuditReport } from './audit.js';

/**
 * An audit as Prometheus text exposition, for node_exporter's textfile collector on hosts that do
 * not run the agent. Same names and labels as the agent's per-interface series (so the recording
 * rules, alerts and dashboard in deploy/ work for both), plus the audit's own run metrics:
 *   offloadctl_interface_compliant{interface,role,vm}   per interface the policy wants something of
 *   offloadctl_feature_active{interface,feature}        the features the policy names, active state
 *   offloadctl_feature_compliant{interface,feature}     1 when active as wanted
 *   offloadctl_audit_compliant, offloadctl_audit_deviating_interfaces, offloadctl_audit_info{policy},
 *   offloadctl_audit_last_run_timestamp_seconds
 * Fixed (unchangeable) deviations make feature_compliant 0 but interface_compliant stays 1 unless
 * strict, as in the audit itself.
 */
export function renderAuditPrometheus(
  report: AuditReport,
  desired: Desired,
  observation: Observation,
  opts: { features?: 'none' | 'policy' } = {},
): string {
  const byIndex = new Map(observation.interfaces.map((i) => [i.ifindex, i]));
  const verdicts = new Map(report.interfaces.map((v) => [v.ifindex, v]));
  const out: string[] = [];
  const head = (name: string, type: string, help: string) =>
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

  head(
    'offloadctl_interface_compliant',
    'gauge',
    'Audit: 1 when the interface has the offloads the policy wants (fixed bits excepted), 0 otherwise.',
  );
  for (const d of desired.interfaces) {
    const v = verdicts.get(d.ifindex);
    const i = byIndex.get(d.ifindex);
    if (!v || !i) continue;
    const vm = i.vm ? (i.vm.name ?? i.vm.id) : null;
    out.push(
      `offloadctl_interface_compliant${labels({ interface: i.name, role: i.role, ...(vm ? { vm } : {}) })} ${v.compliant ? 1 : 0}`,
    );
  }
  if (opts.features !== 'none') {
    const active: string[] = [];
    const compliant: string[] = [];
    for (const d of desired.interfaces) {
      const i = byIndex.get(d.ifindex);
      if (!i) continue;
      for (const [feature, { value }] of Object.entries(d.features)) {
        const f = i.features[feature];
        if (!f) continue;
        const l = labels({ interface: i.name, feature });
        active.push(`offloadctl_feature_active${l} ${f.active ? 1 : 0}`);
        compliant.push(`offloadctl_feature_compliant${l} ${f.active === value ? 1 : 0}`);
      }
    }
    head(
      'offloadctl_feature_active',
      'gauge',
      'Audit: active state (1 on, 0 off) of each offload feature the policy names.',
    );
    out.push(...active);
    head(
      'offloadctl_feature_compliant',
      'gauge',
      'Audit: 1 when the feature is active as the policy wants, 0 otherwise.',
    );
    out.push(...compliant);
  }
  head('offloadctl_audit_compliant', 'gauge', 'Audit: 1 when every audited interface complies (exit code 0).');
  out.push(`offloadctl_audit_compliant ${report.compliant ? 1 : 0}`);
  head('offloadctl_audit_deviating_interfaces', 'gauge', 'Audit: interfaces with a counted deviation.');
  out.push(`offloadctl_audit_deviating_interfaces ${report.summary.deviating}`);
  head('offloadctl_audit_info', 'gauge', 'Always 1; the policy audited against.');
  out.push(`offloadctl_audit_info${labels({ policy: report.policy })} 1`);
  head(
    'offloadctl_audit_last_run_timestamp_seconds',
    'gauge',
    'When the audit observed the kernel, seconds since the Unix epoch.',
  );
  out.push(`offloadctl_audit_last_run_timestamp_seconds ${Date.parse(report.takenAt) / 1000}`);
  return out.join('\n') + '\n';
}

function labels(l: Record<string, string>): string {
  return (
    '{' +
    Object.entries(l)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(',') +
    '}'
  );
}

/** Label value escaping of the text format: backslash, double quote, line feed. */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
