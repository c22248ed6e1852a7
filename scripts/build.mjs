// Bundle the CLI with esbuild: one ESM entry plus lazily loaded chunks, so a command loads only
// what it uses (start-up time matters: `status` on 2000 interfaces must stay close to ethtool's own).
import { build } from 'esbuild';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

// Build over the old dist/ instead of deleting it first: chunk names carry content hashes, so a
// CLI process that is running while a rebuild happens still finds the chunks it lazily imports.
// Chunks no longer produced are pruned once they are old enough that nothing still runs them.
// `--outdir DIR`: the same bundle in a private folder (benchmarks use one, so a concurrent rebuild
// of dist/ cannot disturb a measurement).
const i = process.argv.indexOf('--outdir');
const outdir = i >= 0 ? process.argv[i + 1] : 'dist';
const root = new URL('..', import.meta.url).pathname;
const result = await build({
  metafile: true,
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // netlink loads its native addon relative to its own folder: keep it a real package import.
  external: ['netlink'],
  // bundled CommonJS dependencies call require(); give ESM chunks one.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});

const outputs = new Set(Object.keys(result.metafile.outputs).map((f) => resolve(root, f)));
const dist = resolve(root, outdir);
for (const f of readdirSync(dist)) {
  const path = join(dist, f);
  if (!outputs.has(path) && Date.now() - statSync(path).mtimeMs > 10 * 60_000) rmSync(path, { force: true });
}
