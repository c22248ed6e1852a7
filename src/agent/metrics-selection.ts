import { picomatchLib } from '../policy/lazy-deps.js';

/**
 * Which per-interface series the agent exports (fleet cardinality). By default: per managed
 * interface one compliance series, plus active/compliant series for the features the policy names
 * on it. `features: 'all'` exports the full interface × feature matrix (every feature of every
 * interface, managed or not: ~60 series per interface on 6.18). Interface globs and roles narrow
 * both; an exclude wins over an include.
 */
export interface MetricsSelection {
  /** none: per-interface compliance only (1 series per managed interface). */
  features: 'none' | 'policy' | 'all';
  includeInterfaces: readonly string[];
  excludeInterfaces: readonly string[];
  includeRoles: readonly string[];
  excludeRoles: readonly string[];
}

export const DEFAULT_METRICS_SELECTION: MetricsSelection = {
  features: 'policy',
  includeInterfaces: [],
  excludeInterfaces: [],
  includeRoles: [],
  excludeRoles: [],
};

/** A predicate over (interface name, role): whether the interface gets per-interface series. */
export function interfaceFilter(sel: MetricsSelection): (name: string, role: string) => boolean {
  const opts = { dot: true };
  const inc = sel.includeInterfaces.length ? picomatchLib()([...sel.includeInterfaces], opts) : null;
  const exc = sel.excludeInterfaces.length ? picomatchLib()([...sel.excludeInterfaces], opts) : null;
  const incRoles = new Set(sel.includeRoles);
  const excRoles = new Set(sel.excludeRoles);
  return (name, role) => {
    if (exc?.(name) || excRoles.has(role)) return false;
    if (inc && !inc(name)) return false;
    if (incRoles.size && !incRoles.has(role)) return false;
    return true;
  };
}
