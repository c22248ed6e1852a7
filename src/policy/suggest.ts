/** "Did you mean …?" for unknown names in policy files and on the command line. */

/** Levenshtein distance (insert, delete, substitute; all cost 1). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `name`, when it is close enough to be a plausible typo
 * (distance at most max(2, a third of the name's length)); case differences count as typos.
 */
export function closest(name: string, candidates: Iterable<string>): string | null {
  const lower = name.toLowerCase();
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const cl = c.toLowerCase();
    // A prefix ("tso-gso" for "tso-gso-off") is as good as a small typo.
    const d = cl === lower ? 0.5 : lower.length >= 3 && cl.startsWith(lower) ? 1.5 : editDistance(lower, cl);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return best !== null && bestD <= limit ? best : null;
}

/** ` (did you mean "x"?)` or ''. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const c = closest(name, candidates);
  return c && c !== name ? ` (did you mean ${JSON.stringify(c)}?)` : '';
}
