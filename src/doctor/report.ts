import type { Interface, Observation } from '../model/types.js';
import type { KnownProblem } from './known-problems.js';
import { expandFeatures, remedyFor } from './remedy.js';
import { severityRank, type DoctorReport, type Finding, type LogHit, type Severity, type Signature } from './types.js';

function fmtTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Interfaces a log hit points at: its interface name, or every interface of its driver. */
function interfacesOf(hit: LogHit, obs: Observation | null): Interface[] {
  if (!obs) return [];
  const byName = hit.ifname ? obs.interfaces.filter((i) => i.name === hit.ifname) : [];
  if (byName.length > 0) return byName;
  // skb_warn_bad_offload names the driver, not the interface, for devices with a parent.
  const drv = hit.driver ?? hit.ifname;
  return drv ? obs.interfaces.filter((i) => i.driver === drv) : [];
}

/** Kernel log hits → findings, with the implicated features' current state on the named interfaces. */
export function logFindings(
  hits: readonly LogHit[],
  signatures: readonly Signature[],
  obs: Observation | null,
): Finding[] {
  const byId = new Map(signatures.map((s) => [s.id, s]));
  const out: Finding[] = [];
  for (const h of hits) {
    const sig = byId.get(h.signature);
    if (!sig) continue;
    const ifs = interfacesOf(h, obs);
    const known = ifs.length > 0 ? Object.keys(ifs[0]!.features) : undefined;
    const features = expandFeatures(sig.features, known);
    const evidence = [...h.evidence];
    if (h.context.length) evidence.splice(1, 0, ...h.context.map((c) => `  ${c}`));
    const when = [fmtTime(h.firstMs), fmtTime(h.lastMs)].filter((x): x is string => x !== null);
    evidence.push(
      `${h.count} line(s)${when.length === 2 && when[0] !== when[1] ? ` from ${when[0]} to ${when[1]}` : when.length ? ` at ${when[0]}` : ''}`,
    );
    const fixFeatures = sig.fix ? expandFeatures(sig.fix, known) : features;
    const activeOn: string[] = [];
    const changeable = new Set<string>();
    for (const i of ifs) {
      const on = features.filter((f) => i.features[f]?.active);
      evidence.push(
        `now on ${i.name}${i.driver ? ` (${i.driver})` : ''}: ${on.length ? on.join(', ') + ' on' : 'none of them on'}`,
      );
      const fixable = fixFeatures.filter((f) => i.features[f]?.active && !i.features[f]!.fixed);
      if (fixable.length) activeOn.push(i.name);
      fixable.forEach((f) => changeable.add(f));
    }
    const names = ifs.length > 0 ? ifs.map((i) => i.name) : h.ifname ? [h.ifname] : [];
    const who = h.ifname ?? h.driver;
    out.push({
      id: sig.id,
      source: 'log',
      severity: sig.severity,
      title: `${sig.title}${who ? ` — ${who}` : ''} (${h.count}×)`,
      interfaces: names,
      features,
      evidence,
      cause: sig.cause,
      references: sig.references,
      fix:
        ifs.length > 0
          ? remedyFor(activeOn, [...changeable], { measure: sig.measure ?? false, known })
          : remedyFor(names, fixFeatures, { measure: sig.measure ?? false }),
    });
  }
  return out;
}

/** A known-problem finding confirmed by kernel log lines for the same interface takes their severity. */
export function confirmKnownProblems(
  findings: Finding[],
  hits: readonly LogHit[],
  problems: readonly KnownProblem[],
  signatures: readonly Signature[],
): void {
  const sevOf = new Map(signatures.map((s) => [s.id, s.severity]));
  for (const f of findings) {
    if (f.source !== 'known-problem') continue;
    const p = problems.find((x) => `known-${x.id}` === f.id);
    if (!p) continue;
    for (const h of hits) {
      if (!p.signatures.includes(h.signature)) continue;
      if (!(h.ifname && f.interfaces.includes(h.ifname))) continue;
      f.evidence.push(`confirmed by the kernel log: ${h.count}× ${h.signature} on ${h.ifname}`);
      const s = sevOf.get(h.signature);
      if (s && severityRank(s) < severityRank(f.severity)) f.severity = s;
    }
  }
}

const SOURCE_ORDER = ['log', 'counters', 'known-problem', 'topology'];

export function rankFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      Number(a.dormant ?? false) - Number(b.dormant ?? false) ||
      SOURCE_ORDER.indexOf(a.source) - SOURCE_ORDER.indexOf(b.source) ||
      a.title.localeCompare(b.title),
  );
}

/** Exit code: 1 when any finding is at or above `failOn`, else 0. */
export function exitCodeFor(report: DoctorReport, failOn: Severity): number {
  return report.findings.some((f) => severityRank(f.severity) <= severityRank(failOn)) ? 1 : 0;
}
