import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import type { RootView } from './types.js';

/** ROOT + an absolute target path (`/etc/x` under `/tmp/r` → `/tmp/r/etc/x`). */
export function underRoot(root: string, path: string): string {
  return join(resolve(root), posix.normalize('/' + path));
}

/** A RootView over a real directory (`/` on a live host, a --root folder in tests and image builds). */
export function fsRoot(root: string): RootView {
  return {
    read(path) {
      try {
        return readFileSync(underRoot(root, path), 'utf8');
      } catch {
        return null;
      }
    },
    list(dir) {
      try {
        return readdirSync(underRoot(root, dir)).sort();
      } catch {
        return [];
      }
    },
    exists(path) {
      return existsSync(underRoot(root, path));
    },
  };
}

/** A RootView over an in-memory map of absolute paths → contents (unit tests). */
export function memoryRoot(files: Record<string, string>): RootView {
  const norm = (p: string) => posix.normalize('/' + p).replace(/\/$/, '');
  const map = new Map(Object.entries(files).map(([k, v]) => [norm(k), v]));
  return {
    read: (p) => map.get(norm(p)) ?? null,
    list(dir) {
      const d = norm(dir) + '/';
      const names = new Set<string>();
      for (const k of map.keys()) if (k.startsWith(d)) names.add(k.slice(d.length).split('/')[0]!);
      return [...names].sort();
    },
    exists(p) {
      const n = norm(p);
      if (map.has(n)) return true;
      for (const k of map.keys()) if (k.startsWith(n + '/')) return true;
      return false;
    },
  };
}
