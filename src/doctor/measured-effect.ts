import type { EffectReport } from '../effect/analyze.js';
import type { Finding } from './types.js';

/**
 * Findings about offloads cite what this host measured (`offloadctl effect` recordings) instead of
 * general advice: a change whose interfaces overlap the finding's — or any measured change, for a
 * finding about the host as a whole — adds its verdict as evidence, and the "measure it" hint
 * becomes the measured figure. Pure: the reports are read by the caller.
 */
export function citeMeasuredEffects(findings: Finding[], effects: readonly EffectReport[]): Finding[] {
  if (effects.length === 0) return findings;
  return findings.map((f) => {
    if (f.features.length === 0) return f;
    const relevant = effects.filter(
      (e) => f.interfaces.length === 0 || (e.change.interfaces ?? []).some((n) => f.interfaces.includes(n)),
    );
    const latest = relevant[relevant.length - 1];
    if (!latest) return f;
    const what = `${latest.change.source}${latest.change.id ? ` ${latest.change.id}` : ''} at ${latest.change.start}`;
    const line = `measured on this host around ${what}: ${latest.verdict === 'changed' ? latest.summary : 'no measurable difference in packet sizes or CPU per GB moved'}`;
    return {
      ...f,
      evidence: [...f.evidence, line],
      fix: { ...f.fix, measure: `measured (offloadctl effect): ${latest.summary}` },
    };
  });
}
