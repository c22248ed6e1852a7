// Bundle the CLI with esbuild into one CommonJS file, dist/main.cjs, that bin/offloadctl compiles
// with a V8 code cache (see there): start-up time matters (`status` on 2000 interfaces must stay
// close to ethtool's own; apply/restore on 1000 interfaces against a shell loop).
// Modules the entry reaches only through `import()` stay lazy in one file: esbuild wraps each in a
// closure that runs on first import, so a command still evaluates only what it uses.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

// `--outdir DIR`: the same bundle in a private folder (benchmarks use one, so a concurrent rebuild
// of dist/ cannot disturb a measurement).
const i = process.argv.indexOf('--outdir');
const outdir = i >= 0 ? process.argv[i + 1] : 'dist';
const root = new URL('..', import.meta.url).pathname;
const dist = resolve(root, outdir);
// `await import('node:readline/promises')` would stay a real import() in CommonJS output, which a
// vm.Script cannot run without an experimental loader hook: turn it into a lazy require() instead.
const builtinImportsAsRequire = {
  name: 'builtin-imports-as-require',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, namespace: 'builtin-require' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};
// commander requires node:child_process at load, for executable subcommands offloadctl never
// defines: loading it (with net, dgram and their bindings) cost every command ~2-4 ms of CPU.
// Required on first use instead; the build fails if commander's source no longer has that line.
const lazyCommanderChildProcess = {
  name: 'lazy-commander-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!source.includes(eager)) throw new Error(`${args.path}: no "${eager}" to make lazy (commander changed)`);
      const lazy =
        "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) }; // scripts/build.mjs";
      return { contents: source.replace(eager, lazy), loader: 'js' };
    });
  },
};
// What `offloadctl --version` names (src/cli/version.ts): package version, git commit, build date.
// OFFLOADCTL_BUILD_VERSION / OFFLOADCTL_BUILD_COMMIT override (packaging builds test versions);
// SOURCE_DATE_EPOCH fixes the date (reproducible builds).
function gitCommit() {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=12'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown'; // a source tarball without .git
  }
}
const epoch = process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) * 1000 : Date.now();
const buildInfo = {
  version: process.env.OFFLOADCTL_BUILD_VERSION || JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version,
  commit: process.env.OFFLOADCTL_BUILD_COMMIT || gitCommit(),
  date: new Date(epoch).toISOString().slice(0, 10),
};
const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outfile: join(dist, 'main.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Whitespace and comments out (names and syntax kept: stack traces stay readable; the source map
  // maps back): every run reads the bundle and V8 scans the functions it compiles lazily. 1.48 →
  // 1.03 MB, and pure ASCII (the comments held the only non-ASCII characters: a string with one
  // makes Node decode the whole file to two-byte text, ~5 ms): ~4–5 ms less CPU per command
  // (bench/floor.ts, docs/performance.md).
  minifyWhitespace: true,
  write: false,
  // netlink loads its native addon relative to its own folder: keep it a real package import.
  external: ['netlink'],
  plugins: [builtinImportsAsRequire, lazyCommanderChildProcess],
  // The sources are ESM: give them import.meta.url in CommonJS.
  define: { 'import.meta.url': '__offloadctl_import_meta_url', __OFFLOADCTL_BUILD__: JSON.stringify(buildInfo) },
  banner: { js: "var __offloadctl_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});

// Replace the files atomically (write a temporary file, rename it): a CLI process starting during a
// rebuild reads the old bundle or the new one, never half of one. A running one has read it whole.
mkdirSync(dist, { recursive: true });
const outputs = new Set();
for (const f of result.outputFiles) {
  const tmp = `${f.path}.tmp-${process.pid}`;
  writeFileSync(tmp, f.contents);
  renameSync(tmp, f.path);
  outputs.add(basename(f.path));
}
// Code caches of the previous bundle are stale (bin/offloadctl would refuse them anyway); files of
// the older split-chunk layout (main.js, chunk-*.js) are pruned once nothing can still run them.
for (const f of readdirSync(dist)) {
  const path = join(dist, f);
  if (outputs.has(f) || f === 'man' || f === 'completion' || f === 'ui') continue; // gen-docs.mjs's and the page's folders
  if (f.endsWith('.cache') || Date.now() - statSync(path).mtimeMs > 10 * 60_000) rmSync(path, { force: true });
}

// The agent's page (src/ui/page → dist/ui/): one script and one stylesheet, no inline code (the
// agent serves it with a Content-Security-Policy of default-src 'self'), for browsers of the last years.
const ui = join(dist, 'ui');
const page = await build({
  absWorkingDir: root,
  entryPoints: { app: 'src/ui/page/main.ts', 'app-style': 'src/ui/page/app.css' },
  outdir: ui,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  write: false,
  logLevel: 'warning',
});
mkdirSync(ui, { recursive: true });
const pageFiles = page.outputFiles.map((f) => ({
  path: f.path.replace(/app-style\.css$/, 'app.css'),
  contents: f.contents,
}));
pageFiles.push({ path: join(ui, 'index.html'), contents: readFileSync(join(root, 'src/ui/page/index.html')) });
for (const f of pageFiles) {
  const tmp = `${f.path}.tmp-${process.pid}`;
  writeFileSync(tmp, f.contents);
  renameSync(tmp, f.path);
}

// Man pages and completion from the CLI definitions (scripts/gen-docs.mjs), beside the bundle in
// dist/ (or --outdir with --docs: packaging/stage.sh); not for a benchmark's private bundle.
if (i < 0 || process.argv.includes('--docs')) {
  process.env.OFFLOADCTL_DOCS_DIST = dist;
  await import('./gen-docs.mjs');
}
