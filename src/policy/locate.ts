import type { Document, LineCounter } from 'yaml';
import { yamlLib } from './lazy-deps.js';

/** Positions in a policy file: a path into the YAML document → 1-based line and column. */

export type PathSeg = string | number;

export interface Position {
  line: number;
  col: number;
  /** Character offset, for ordering several errors by where they are. */
  offset: number;
}

function rangeStart(node: unknown): number | null {
  const r = (node as { range?: [number, number, number] } | null)?.range;
  return r ? r[0] : null;
}

function keyText(key: unknown): string {
  if (yamlLib().isScalar(key)) return String(key.value);
  return String(key);
}

/**
 * The start offset of the node at `path` (or of its key, with `key: true`). When the path leads
 * nowhere (a missing key, an empty value) the nearest existing ancestor is used, so every error
 * gets a position.
 */
export function offsetOf(doc: Document, path: readonly PathSeg[], opts: { key?: boolean } = {}): number {
  const { isMap, isSeq } = yamlLib();
  let node: unknown = doc.contents;
  let best = rangeStart(node) ?? 0;
  for (const [i, seg] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) return best;
      const keyStart = rangeStart(pair.key);
      if (keyStart !== null) best = keyStart;
      if (last && opts.key) return best;
      if (pair.value === null || pair.value === undefined) return best;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[typeof seg === 'number' ? seg : Number(seg)];
      if (item === undefined || item === null) return best;
      node = item;
    } else {
      return best;
    }
    const start = rangeStart(node);
    if (start !== null) best = start;
  }
  return best;
}

export function positionOf(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PathSeg[],
  opts: { key?: boolean } = {},
): Position {
  const offset = offsetOf(doc, path, opts);
  const { line, col } = lineCounter.linePos(offset);
  return { line, col, offset };
}

/** `rules[0].select.name[1]` for messages. */
export function describePath(path: readonly PathSeg[]): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number' || /^\d+$/.test(seg)) s += `[${seg}]`;
    else if (!/^[\w.*?-]+$/.test(seg))
      s += `[${JSON.stringify(seg)}]`; // keep messages on one line
    else s += s ? `.${seg}` : seg;
  }
  return s || 'the policy';
}

/** Ajv's instancePath (JSON pointer) → path segments. */
export function pointerToPath(pointer: string): PathSeg[] {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
