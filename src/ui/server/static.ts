import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';

/**
 * The page's files, built by scripts/build.mjs into dist/ui/ and read once at start-up (a few
 * tens of KiB). The bundle runs from dist/main.cjs (ui/ beside it); from the sources (tsx) the
 * built dist/ui/ is used.
 */

/** No inline script or style anywhere, everything from the agent itself, nothing may frame it. */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function securityHeaders(): Record<string, string> {
  return {
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

export const ASSETS = ['index.html', 'app.js', 'app.css'] as const;

export function defaultAssetsDir(): string | null {
  for (const rel of ['./ui/', '../../../dist/ui/']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p + 'index.html')) return p;
  }
  return null;
}

export class StaticAssets {
  private readonly files = new Map<string, { type: string; body: Buffer }>();
  constructor(dir: string | null) {
    if (!dir) return;
    for (const name of ASSETS) {
      try {
        const ext = name.slice(name.lastIndexOf('.'));
        this.files.set(name, { type: TYPES[ext]!, body: readFileSync(join(dir, name)) });
      } catch {
        /* missing: 404 */
      }
    }
  }

  get available(): boolean {
    return this.files.has('index.html');
  }

  /** Serve `name`; false when there is no such asset. */
  serve(res: ServerResponse, name: string, head: boolean): boolean {
    const f = this.files.get(name);
    if (!f) return false;
    res.writeHead(200, {
      'content-type': f.type,
      'content-length': f.body.length,
      // the files change only with the agent's version: revalidate, but no stale page after an upgrade
      'cache-control': 'no-cache',
      ...securityHeaders(),
    });
    res.end(head ? undefined : f.body);
    return true;
  }
}
