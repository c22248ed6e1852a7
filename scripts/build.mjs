// Bundle the CLI with esbuild: one ESM entry plus lazily loaded chunks, so a command loads only
// what it uses (start-up time matters: `status` on 2000 interfaces must stay close to ethtool's own).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist',
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
