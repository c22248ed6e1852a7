import { OffloadError } from '../model/errors.js';
import type { Interface, Observation, Rule, Selector } from '../model/types.js';
import { picomatchLib } from './lazy-deps.js';

/**
 * Selector matching (pure). Every field given in a selector must match (AND); the items of one
 * field are alternatives (OR). `name`, `kind`, `driver` and `master` are globs (picomatch, loaded on
 * first use: lazy-deps.ts).
 */

const GLOB_OPTS = { dot: true, strictBrackets: true } as const;
const matchers = new Map<string, (s: string) => boolean>();

function matcher(glob: string): (s: string) => boolean {
  let m = matchers.get(glob);
  if (!m) {
    m = picomatchLib()(glob, GLOB_OPTS);
    matchers.set(glob, m);
  }
  return m;
}

/** True when the string has glob syntax (`*`, `?`, `[...]`, `{a,b}`, extglobs). */
export function isGlob(s: string): boolean {
  return picomatchLib().scan(s).isGlob;
}

const POSIX_CLASS = /\[:(?:alnum|alpha|ascii|blank|cntrl|digit|graph|lower|print|punct|space|upper|word|xdigit):\]/g;

/**
 * Why a glob cannot match interface names, or null when it is fine. picomatch accepts almost any
 * string; with strictBrackets it throws on unbalanced brackets, braces and parentheses. Interface
 * names never contain '/', ':', whitespace or NUL (dev_valid_name() in net/core/dev.c), so a glob
 * with them can never match.
 */
export function globProblem(glob: string): string | null {
  if (glob.length === 0) return 'an empty glob matches nothing';
  // POSIX classes (`[[:alpha:]]*`, picomatch supports them) have ':' of their own: not a name's.
  if (/[/:\s\0]/.test(glob.replace(POSIX_CLASS, '')))
    return "interface names cannot contain '/', ':', whitespace or NUL";
  try {
    picomatchLib().makeRe(glob, GLOB_OPTS);
  } catch (e) {
    return (e as Error).message.replace(/ - use .*$/, '');
  }
  return null;
}

/** IFNAMSIZ - 1: the longest interface name the kernel accepts. */
export const MAX_IFNAME = 15;

/** globProblem, plus: a plain name (no glob syntax) longer than 15 characters can never match. */
export function nameGlobProblem(glob: string): string | null {
  const p = globProblem(glob);
  if (p) return p;
  if (!isGlob(glob) && glob.length > MAX_IFNAME)
    return `interface names are at most ${MAX_IFNAME} characters (IFNAMSIZ)`;
  return null;
}

function anyGlob(globs: readonly string[], value: string | null): boolean {
  if (value === null) return false;
  return globs.some((g) => matcher(g)(value));
}

/** Does the selector match this interface? An empty selector matches every interface. */
export function matchesSelector(sel: Selector, iface: Interface): boolean {
  if (sel.role && !sel.role.includes(iface.role)) return false;
  if (sel.name && !anyGlob(sel.name, iface.name)) return false;
  if (sel.kind && !anyGlob(sel.kind, iface.kind)) return false;
  if (sel.driver && !anyGlob(sel.driver, iface.driver)) return false;
  if (sel.master && !anyGlob(sel.master, iface.master)) return false;
  if (sel.vmPlatform && !(iface.vm && sel.vmPlatform.includes(iface.vm.platform))) return false;
  return true;
}

/**
 * Does the rule apply to this interface? Loopback is never selected unless the rule's `select`
 * names role `loopback` explicitly: "every interface" in the advice never means lo.
 */
export function ruleSelects(rule: Rule, iface: Interface): boolean {
  if (iface.role === 'loopback' && !rule.select.role?.includes('loopback')) return false;
  if (!matchesSelector(rule.select, iface)) return false;
  if (rule.exclude && matchesSelector(rule.exclude, iface)) return false;
  return true;
}

/**
 * The items whose name matches any of the globs (`--interface`, repeatable). A plain name (no glob
 * syntax) that matches nothing is an error: the operator named an interface that does not exist.
 * A glob that matches nothing is not (a VM port pattern on a host with no VMs running).
 */
export function selectByInterfaceGlobs<T extends { name: string }>(items: readonly T[], globs: readonly string[]): T[] {
  for (const g of globs) {
    const problem = globProblem(g);
    if (problem) throw new OffloadError('usage', `invalid --interface ${JSON.stringify(g)}: ${problem}`);
  }
  const names = new Set(items.map((i) => i.name));
  for (const g of globs) {
    if (!isGlob(g) && !names.has(g))
      throw new OffloadError('not-found', `no interface named ${JSON.stringify(g)}`, { ifname: g });
  }
  return items.filter((i) => globs.some((g) => matcher(g)(i.name)));
}

/**
 * `--interface` given but nothing selected: a typo ('zz*') must not read as "compliant (0
 * observed)" and keep a monitor green. A usage error (exit 2) unless the caller passed
 * --allow-empty (a VM port pattern on a host that may have no VMs running).
 */
export function requireSelection(
  globs: readonly string[],
  selected: number,
  observed: number,
  allowEmpty = false,
): void {
  if (globs.length === 0 || selected > 0 || allowEmpty) return;
  const list = globs.map((g) => JSON.stringify(g)).join(', ');
  throw new OffloadError(
    'usage',
    `--interface ${list} matches none of the ${observed} interfaces here; pass --allow-empty to accept an empty selection`,
  );
}

/** The observation limited to interfaces matching the globs; no globs → unchanged. */
export function filterInterfaces(observation: Observation, globs: readonly string[]): Observation {
  if (globs.length === 0) return observation;
  return { ...observation, interfaces: selectByInterfaceGlobs(observation.interfaces, globs) };
}
