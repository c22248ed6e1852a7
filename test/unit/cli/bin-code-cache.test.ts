import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import Module from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUNDLE = join(ROOT, 'dist/main.cjs');

/** bin/offloadctl and the built bundle copied to a private folder (the real dist/ is shared by concurrent tests). */
function copy(): { dir: string; run: (...args: string[]) => ReturnType<typeof spawnSync>; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'olc-bin-test-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  copyFileSync(join(ROOT, 'bin/offloadctl'), join(dir, 'bin/offloadctl'));
  copyFileSync(join(ROOT, 'bin/package.json'), join(dir, 'bin/package.json'));
  copyFileSync(BUNDLE, join(dir, 'dist/main.cjs'));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(dir, 'bin/offloadctl'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, OFFLOADCTL_CODE_CACHE: undefined },
    });
  return { dir, run, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const skip = existsSync(BUNDLE) ? false : 'needs the built bundle (npm run build)';

test('the bundle has no import() left (a vm.Script cannot run one without an experimental hook)', { skip }, () => {
  assert.doesNotMatch(readFileSync(BUNDLE, 'utf8'), /(?<![\w.$])import\(/);
});

test('the bundle is ASCII only (one other character makes Node decode all of it to two-byte text, ~5 ms per run)', {
  skip,
}, () => {
  const text = readFileSync(BUNDLE, 'utf8');
  const at = text.search(/[^\x00-\x7f]/);
  assert.equal(at, -1, `non-ASCII at ${at}: ${JSON.stringify(text.slice(at - 40, at + 10))}`);
});

test('bin/offloadctl is a CommonJS script (an ES module entry point costs Node 20 its ESM loader, ~5 ms per command)', () => {
  assert.equal(JSON.parse(readFileSync(join(ROOT, 'bin/package.json'), 'utf8')).type, 'commonjs');
  // compiles as a CommonJS module body (an import statement or top-level await would not)
  const src = readFileSync(join(ROOT, 'bin/offloadctl'), 'utf8').replace(/^#!.*/, '');
  assert.doesNotThrow(() => new Script(Module.wrap(src)));
});

test('a command that spawns nothing does not load node:child_process (commander and --netns load it lazily)', {
  skip,
}, () => {
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      `require(process.argv[1]).main(['node', 'offloadctl', 'profiles']).then(() => {
        process.stderr.write('child_process loaded: ' + process.moduleLoadList.includes('NativeModule child_process'));
      })`,
      BUNDLE,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /child_process loaded: false/);
});

test('bin/offloadctl writes one code cache per command and uses it on the next run', { skip }, () => {
  const t = copy();
  try {
    const cache = join(t.dir, 'dist/main.cjs.profiles.cache');
    const first = t.run('profiles');
    assert.equal(first.status, 0, String(first.stderr));
    assert.ok(existsSync(cache), 'written at exit of the first run');
    const mtime = statSync(cache).mtimeMs;
    const second = t.run('profiles');
    assert.equal(second.status, 0);
    assert.equal(second.stdout, first.stdout);
    assert.equal(statSync(cache).mtimeMs, mtime, 'a valid cache is not rewritten');
    // The build named: version, commit, date, and which netlink addon loads (none in this copy).
    assert.match(
      String(t.run('--version').stdout).trim(),
      /^offloadctl \d+\.\d+\.\d+\S* \(commit \S+, built \d{4}-\d\d-\d\d; no netlink addon loadable/,
    );
    assert.deepEqual(readdirSync(join(t.dir, 'dist')).sort(), [
      'main.cjs',
      'main.cjs.none.cache',
      'main.cjs.profiles.cache',
    ]);
  } finally {
    t.done();
  }
});

test('bin/offloadctl: a stale, truncated or foreign cache is ignored and replaced', { skip }, () => {
  const t = copy();
  try {
    const cache = join(t.dir, 'dist/main.cjs.profiles.cache');
    assert.equal(t.run('profiles').status, 0);
    const good = readFileSync(cache);
    const header = good.subarray(0, good.indexOf(10) + 1);
    for (const bad of [
      good.subarray(0, good.length >> 1), // truncated: V8 refuses it
      Buffer.concat([header, Buffer.alloc(good.length - header.length, 0x5a)]), // right header, garbage data
      Buffer.concat([Buffer.from('offloadctl v0.0.0 x64 1 2 3\n'), good.subarray(header.length)]), // another bundle's
    ]) {
      writeFileSync(cache, bad);
      const r = t.run('profiles');
      assert.equal(r.status, 0, String(r.stderr));
      assert.match(String(r.stdout), /tso-gso-off/);
      assert.deepEqual(readFileSync(cache).subarray(0, header.length), header, 'rewritten for this bundle');
    }
  } finally {
    t.done();
  }
});

test('bin/offloadctl without a built bundle says to build it (exit 3)', { skip }, () => {
  const t = copy();
  try {
    rmSync(join(t.dir, 'dist'), { recursive: true });
    const r = t.run('--version');
    assert.equal(r.status, 3);
    assert.match(String(r.stderr), /cannot load dist\/main\.cjs \(ENOENT\); run `npm run build` first/);
  } finally {
    t.done();
  }
});
