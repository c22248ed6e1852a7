import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const mod = fileURLToPath(new URL('../../../src/cli/write-chunks.ts', import.meta.url));
// A child process whose stdout is what the test chooses (a pipe, a file): writeChunks on process.stdout.
const child = `
  const { writeChunks } = await import(${JSON.stringify(mod)});
  const shared = Buffer.from('x'.repeat(7000));
  const chunks = [];
  for (let i = 0; i < 3000; i++) chunks.push(Buffer.from('<' + i + '>'), shared);
  writeChunks(process.stdout, chunks);
`;
const expected = (() => {
  let s = '';
  for (let i = 0; i < 3000; i++) s += `<${i}>` + 'x'.repeat(7000);
  return s;
})();

test('writeChunks: a pipe stdout gets every chunk, in order, shared Buffers repeated (21 MB)', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], {
    maxBuffer: 1 << 26,
    encoding: 'latin1',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.length, expected.length);
  assert.ok(r.stdout === expected);
});

test('writeChunks: a file stdout (SyncWriteStream) gets the same bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'olc-write-chunks-'));
  try {
    const file = join(dir, 'out');
    const r = spawnSync(
      'sh',
      ['-c', `"$0" --import tsx --input-type=module -e "$1" > "$2"`, process.execPath, child, file],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const got = readFileSync(file, 'latin1');
    assert.equal(got.length, expected.length);
    assert.ok(got === expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
