/**
 * What "verified" means after a change, for apply, restore and the agent alike: every feature set
 * has its requested bit as set, and every feature set off is off. A feature set on may stay off
 * (a dependency such as TSO needing SG, netdev_fix_features, or a tap's owner holding it via
 * TUNSETOFFLOAD): that is not a failed change but a finding the planner or the agent reports.
 * Returns one problem per feature that does not verify (empty: verified).
 */
export function verify(
  set: Record<string, boolean>,
  cur: { features: Record<string, { requested: boolean; active: boolean }> },
): string[] {
  const problems: string[] = [];
  for (const [f, v] of Object.entries(set)) {
    const st = cur.features[f];
    if (!st) problems.push(`${f} missing`);
    else if (st.requested !== v)
      problems.push(`${f} requested ${st.requested ? 'on' : 'off'}, not ${v ? 'on' : 'off'}`);
    else if (!v && st.active) problems.push(`${f} still active`);
  }
  return problems;
}

/** The features of `set` that do not verify (by the rule of verify()); a missing feature is not counted. */
export function unverified(
  set: Record<string, boolean>,
  features: Record<string, { requested: boolean; active: boolean }>,
): string[] {
  const out: string[] = [];
  for (const [f, v] of Object.entries(set)) {
    const st = features[f];
    if (st && (st.requested !== v || (!v && st.active))) out.push(f);
  }
  return out;
}
