import featuresData from './data/features.json' with { type: 'json' };
import { OffloadError } from '../model/errors.js';
import { editDistance } from '../policy/suggest.js';
import { COMMON_KERNEL_FEATURES, SHORT_NAMES, expandFeatureName, lookupShortName } from '../policy/short-names.js';
import { builtinSignatures } from './signatures.js';

interface FeatureDoc {
  id: string;
  short?: string;
  kernel: string[];
  title: string;
  what: string;
  direction: 'tx' | 'rx' | 'both' | 'n/a';
  layer: string;
  offCost: string;
  capture: string[];
  findings: string[];
}

interface FeaturesData {
  captureNotes: Record<string, string>;
  checkTitles: Record<string, string>;
  features: FeatureDoc[];
}

const DATA = featuresData as unknown as FeaturesData;

export interface Explanation {
  query: string;
  title: string;
  /** ethtool short name (tso) and its long label (tcp-segmentation-offload), when one covers it. */
  shortName: string | null;
  ethtoolLabel: string | null;
  /** Kernel feature names this covers (for a short name: every name it expands to). */
  kernelNames: string[];
  what: string;
  direction: FeatureDoc['direction'];
  layer: string;
  offCost: string;
  /** Why captures look wrong with it on (empty when it does not affect captures). */
  captures: string[];
  /** Doctor findings related to it. */
  findings: { id: string; title: string }[];
  commands: { show: string; off: string; on: string; offloadctl: string | null; measure: string | null };
}

function patternMatch(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  return re.test(name);
}

function docForKernelName(name: string): FeatureDoc | undefined {
  return DATA.features.find((d) => d.kernel.some((p) => patternMatch(p, name)));
}

function shortCovering(kernelName: string): (typeof SHORT_NAMES)[number] | undefined {
  return SHORT_NAMES.find((s) => expandFeatureName(s.short, [kernelName]).length > 0);
}

function findingTitle(id: string): string {
  const sig = builtinSignatures().find((s) => s.id === id);
  return sig?.title ?? DATA.checkTitles[id] ?? id;
}

/** Every name `explain` accepts: short names, ethtool long labels, kernel names. */
export function explainableNames(): string[] {
  const names = new Set<string>();
  for (const s of SHORT_NAMES) {
    names.add(s.short);
    names.add(s.long);
  }
  for (const k of COMMON_KERNEL_FEATURES) names.add(k);
  for (const d of DATA.features) for (const k of d.kernel) if (!k.includes('*')) names.add(k);
  return [...names];
}

/** Closest known names: edit distance, plus names containing the query (tcp → tx-tcp-segmentation...). */
export function suggestFeatureNames(query: string, max = 5): string[] {
  const q = query.toLowerCase();
  const scored = explainableNames().map((n) => {
    let d = editDistance(q, n);
    if (q.length >= 2 && n.includes(q)) d = Math.min(d, 1 + (n.length - q.length) / 10);
    return { n, d };
  });
  const limit = Math.max(2, Math.floor(q.length / 2));
  return scored
    .filter((s) => s.d <= limit)
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n))
    .slice(0, max)
    .map((s) => s.n);
}

/** Explain a feature by ethtool short name (tso), long label (tcp-segmentation-offload) or kernel name. */
export function explainFeature(query: string): Explanation {
  const name = query.trim().toLowerCase();
  const sn = lookupShortName(name);
  let doc: FeatureDoc | undefined;
  let kernelNames: string[];
  let short = sn ?? null;
  if (sn) {
    doc = DATA.features.find((d) => d.short === sn.short);
    kernelNames = expandFeatureName(sn.short);
    if (kernelNames.length === 0) kernelNames = doc?.kernel.filter((k) => !k.includes('*')) ?? [];
  } else {
    doc = docForKernelName(name);
    kernelNames = [name];
    short = doc ? (shortCovering(name) ?? null) : null;
  }
  if (!doc) {
    const suggestions = suggestFeatureNames(name);
    throw new OffloadError(
      'usage',
      `unknown feature "${query}"${suggestions.length ? `; did you mean: ${suggestions.join(', ')}?` : ''} (offloadctl explain --list shows every name)`,
      { suggestions },
    );
  }
  const words = short ? short.short : kernelNames.join(' ');
  const setWords = (v: 'on' | 'off') => (short ? `${short.short} ${v}` : kernelNames.map((k) => `${k} ${v}`).join(' '));
  const profile =
    short && (short.short === 'tso' || short.short === 'gso')
      ? 'tso-gso-off'
      : short?.short === 'sg'
        ? 'tso-gso-sg-off'
        : null;
  return {
    query,
    title: doc.title,
    shortName: short?.short ?? null,
    ethtoolLabel: short?.long ?? null,
    kernelNames,
    what: doc.what,
    direction: doc.direction,
    layer: doc.layer,
    offCost: doc.offCost,
    captures: doc.capture.map((c) => DATA.captureNotes[c]).filter((x): x is string => typeof x === 'string'),
    findings: doc.findings.map((id) => ({ id, title: findingTitle(id) })),
    commands: {
      show: `ethtool -k IFACE | grep -E '${short ? short.long : kernelNames[0]}'   # or: offloadctl status`,
      off: `ethtool -K IFACE ${setWords('off')}`,
      on: `ethtool -K IFACE ${setWords('on')}`,
      offloadctl: profile
        ? `offloadctl apply --profile ${profile} --interface IFACE --yes`
        : `offloadctl apply --policy FILE --yes   # FILE: {name: my-policy, rules: [{select: {name: [IFACE]}, features: {${words.split(' ')[0]}: off}}]}`,
      measure:
        doc.findings.length > 0 || profile
          ? `offloadctl bench --profiles offloads-on,${profile ?? 'tso-gso-off'}`
          : null,
    },
  };
}

/** Plain-text rendering (wrapped at ~100 columns). */
export function renderExplanation(e: Explanation): string {
  const lines: string[] = [];
  const names = [
    e.shortName ? `ethtool: ${e.shortName} (${e.ethtoolLabel})` : null,
    `kernel: ${e.kernelNames.join(', ')}`,
  ]
    .filter(Boolean)
    .join('; ');
  lines.push(`${e.title}`, `  ${names}`, '');
  const section = (label: string, text: string) => {
    lines.push(`${label}:`);
    for (const l of wrap(text, 96)) lines.push(`  ${l}`);
    lines.push('');
  };
  section('What it does', e.what);
  section(
    'Where',
    `${e.direction === 'n/a' ? '' : `${e.direction === 'both' ? 'transmit and receive' : e.direction === 'tx' ? 'transmit' : 'receive'}; `}${e.layer}`,
  );
  section('Turning it off costs', e.offCost);
  if (e.captures.length) section('Why captures look wrong with it on', e.captures.join('\n\n'));
  if (e.findings.length) {
    lines.push('Related doctor findings:');
    for (const f of e.findings) lines.push(`  ${f.id}: ${f.title}`);
    lines.push('');
  }
  lines.push('Commands:');
  lines.push(`  show:      ${e.commands.show}`);
  lines.push(`  off:       ${e.commands.off}   # immediate, lost at reboot`);
  lines.push(`  on:        ${e.commands.on}`);
  if (e.commands.offloadctl) lines.push(`  offloadctl: ${e.commands.offloadctl}`);
  if (e.commands.measure) lines.push(`  measure:   ${e.commands.measure}`);
  return lines.join('\n') + '\n';
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  text.split(/\n\s*\n/).forEach((para, n) => {
    if (n > 0) out.push('');
    let line = '';
    for (const w of para.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + w.length > width) {
        out.push(line);
        line = w;
      } else line = line ? `${line} ${w}` : w;
    }
    if (line) out.push(line);
  });
  return out;
}
