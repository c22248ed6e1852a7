import { COMMON_KERNEL_FEATURES, SHORT_NAMES, expandFeatureName } from '../policy/short-names.js';
import type { RemedyCommands } from './types.js';

/** Short names (tso), long labels and kernel names → kernel names, in the kernel's list when given. */
export function expandFeatures(names: readonly string[], known: readonly string[] = COMMON_KERNEL_FEATURES): string[] {
  const out = new Set<string>();
  for (const n of names) {
    const k = expandFeatureName(n, known);
    if (k.length > 0) k.forEach((x) => out.add(x));
    else if (/^[a-z0-9_-]+$/.test(n) && !SHORT_NAMES.some((s) => s.short === n)) out.add(n);
  }
  return [...out];
}

/**
 * The words for `ethtool -K`: a short name when every kernel feature it covers is in the set,
 * else the kernel names (ethtool -K accepts both).
 */
export function ethtoolWords(features: readonly string[], known: readonly string[] = COMMON_KERNEL_FEATURES): string[] {
  const set = new Set(features);
  const covered = new Set<string>();
  const words: string[] = [];
  for (const s of SHORT_NAMES) {
    const k = expandFeatureName(s.short, known);
    if (k.length > 0 && k.every((x) => set.has(x))) {
      words.push(s.short);
      k.forEach((x) => covered.add(x));
    }
  }
  for (const f of features) if (!covered.has(f)) words.push(f);
  return words;
}

const TSO_GSO = new Set(['tso', 'gso']);
const TSO_GSO_SG = new Set(['tso', 'gso', 'sg']);

/** Quote for a POSIX shell only when needed (interface names are [^/:\s]; be safe anyway). */
function q(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Commands that would turn `features` off on `interfaces`: the offloadctl way (policy-driven,
 * journaled, restorable, persistable) and the plain `ethtool -K` (immediate, lost at reboot).
 */
export function remedyFor(
  interfaces: readonly string[],
  features: readonly string[],
  opts: { value?: 'on' | 'off'; measure?: boolean; known?: readonly string[] } = {},
): RemedyCommands {
  const value = opts.value ?? 'off';
  if (features.length === 0 || interfaces.length === 0)
    return { offloadctl: [], ethtool: [], other: [], measure: null };
  const words = ethtoolWords(features, opts.known);
  const ethtool = interfaces.map((i) => `ethtool -K ${q(i)} ${words.map((w) => `${w} ${value}`).join(' ')}`);
  const ifArgs = interfaces.map((i) => `--interface ${q(i)}`).join(' ');
  const rule = `{select: {name: [${interfaces.join(', ')}]}, features: {${words.map((w) => `${w}: ${value}`).join(', ')}}}`;
  const offloadctl = [`offloadctl apply --policy FILE --yes   # FILE: {name: doctor-fix, rules: [${rule}]}`];
  const wset = new Set(words);
  let profile: string | null = null;
  if (value === 'off' && [...wset].every((w) => TSO_GSO.has(w))) profile = 'tso-gso-off';
  else if (value === 'off' && [...wset].every((w) => TSO_GSO_SG.has(w))) profile = 'tso-gso-sg-off';
  if (profile) offloadctl.unshift(`offloadctl apply --profile ${profile} ${ifArgs} --yes`);
  const measure = opts.measure
    ? `offloadctl bench --profiles offloads-on,${profile ?? 'tso-gso-off'} ${ifArgs} --server IPERF3_HOST   # or a lab: offloadctl bench --lab netns`
    : null;
  return { offloadctl, ethtool, other: [], measure };
}
