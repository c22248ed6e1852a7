import problemsData from './data/known-problems.json' with { type: 'json' };
import type { Interface } from '../model/types.js';
import { expandFeatures, remedyFor } from './remedy.js';
import type { Finding, Severity } from './types.js';

export interface KnownProblem {
  id: string;
  title: string;
  drivers: string[];
  features: string[];
  severity: Severity;
  signatures: string[];
  cause: string;
  references: string[];
  measure?: boolean;
}

export function builtinKnownProblems(): KnownProblem[] {
  return (problemsData as { problems: KnownProblem[] }).problems;
}

/** Interfaces whose driver is listed and which have any of the problem's features active. */
export function knownProblemFindings(interfaces: readonly Interface[], problems: readonly KnownProblem[]): Finding[] {
  const out: Finding[] = [];
  for (const p of problems) {
    const kernel = expandFeatures(p.features, allFeatureNames(interfaces));
    for (const i of interfaces) {
      if (!i.driver || !p.drivers.includes(i.driver)) continue;
      const active = kernel.filter((f) => i.features[f]?.active);
      if (active.length === 0) continue;
      const changeable = active.filter((f) => !i.features[f]!.fixed);
      out.push({
        id: `known-${p.id}`,
        source: 'known-problem',
        severity: p.severity,
        title: `${i.name}: ${p.title}`,
        interfaces: [i.name],
        features: active,
        evidence: [`${i.name} (driver ${i.driver}): ${active.join(', ')} active`],
        cause: p.cause,
        references: p.references,
        fix: remedyFor([i.name], changeable, { measure: p.measure ?? false, known: Object.keys(i.features) }),
      });
    }
  }
  return out;
}

function allFeatureNames(interfaces: readonly Interface[]): string[] | undefined {
  const s = new Set<string>();
  for (const i of interfaces) for (const k of Object.keys(i.features)) s.add(k);
  return s.size > 0 ? [...s] : undefined;
}
