import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, readdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../../src/lab/netns.js';
import type { SnapshotSummary } from '../../src/apply/types.js';
import { cliIn, skipReason, tmpDir } from './helpers/cli.js';
import { diff, oracleAll } from './helpers/oracle.js';

/**
 * The built CLI on bad state directories (issue 14 items 3 and 9), in a namespace, the kernel as
 * oracle: a world-writable state dir with a planted symlink is refused with one line, exit 3,
 * nothing changed and the symlink target intact; corrupt snapshots are listed as such and
 * `restore --last` skips them and restores the good one; the undo hint carries --netns and
 * --state-dir (issue 15 item 6) and works as printed.
 */
const skip = skipReason();
let ns = '';
const dirs: (() => void)[] = [];
after(async () => {
  if (ns) await deleteNetns(ns);
  for (const d of dirs) d();
});

const noStack = (s: string) => !/\n\s+at |internal error/.test(s);

test('state directory refused, corrupt snapshots skipped, undo hint as printed works', {
  skip,
  timeout: 180_000,
}, async () => {
  ns = await createNetns(`${uniquePrefix('sdc')}a`);
  await ipBatch(
    ns,
    Array.from({ length: 6 }, (_, i) => `link add c${i} type veth peer name d${i}`),
  );
  const t = tmpDir('sdc');
  dirs.push(t.remove);
  const original = await oracleAll(ns);

  // A world-writable state dir with a planted journal symlink: refused before anything changes.
  const bad = join(t.dir, 'open');
  mkdirSync(bad);
  chmodSync(bad, 0o777);
  const victim = join(t.dir, 'victim');
  writeFileSync(victim, 'root-only\n', { mode: 0o600 });
  symlinkSync(victim, join(bad, 'agent-journal.jsonl'));
  symlinkSync(victim, join(bad, 'lock'));
  for (const args of [['apply', '--yes'], ['restore', '--last', '--yes'], ['snapshots']]) {
    const r = await cliIn(ns, [...args, '--state-dir', bad]);
    assert.equal(r.code, 3, `${args[0]}: ${r.stderr}`);
    assert.match(r.stderr, /^offloadctl: refusing state directory .* writable by others \(mode 0777\)/);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    assert.ok(noStack(r.stderr));
  }
  assert.equal(readFileSync(victim, 'utf8'), 'root-only\n');
  assert.deepEqual(diff(original, await oracleAll(ns)), [], 'nothing changed');

  // Good snapshots plus corrupt ones: listed, skipped, the good one restored.
  const good = join(t.dir, 'good');
  const ap = await cliIn(ns, ['apply', '--yes', '--state-dir', good]);
  assert.equal(ap.code, 0, ap.stderr);
  // The undo hint names this namespace and state directory.
  const hint = /\(undo: (.*)\)/.exec(ap.stdout)?.[1];
  assert.ok(hint, ap.stdout);
  assert.ok(hint!.includes(`--netns ${ns}`) && hint!.includes(`--state-dir ${good}`), hint);
  const snapDir = join(good, 'snapshots');
  const [id] = readdirSync(snapDir).filter((f) => f.endsWith('.json'));
  const text = readFileSync(join(snapDir, id!), 'utf8');
  writeFileSync(join(snapDir, '29991231-235958-000-aaaa.json'), text.slice(0, text.length >> 1), { mode: 0o600 });
  const wrongType = JSON.parse(text);
  wrongType.id = '29991231-235959-000-bbbb';
  wrongType.interfaces[0].recorded = 7;
  writeFileSync(join(snapDir, '29991231-235959-000-bbbb.json'), JSON.stringify(wrongType), { mode: 0o600 });
  const ls = await cliIn(ns, ['snapshots', '--json', '--state-dir', good]);
  assert.equal(ls.code, 0, ls.stderr);
  const list = JSON.parse(ls.stdout) as SnapshotSummary[];
  assert.deepEqual(
    list.map((s) => s.status),
    ['applied', 'corrupt', 'corrupt'],
  );
  const human = await cliIn(ns, ['snapshots', '--state-dir', good]);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /corrupt/);
  const direct = await cliIn(ns, ['restore', '29991231-235959-000-bbbb', '--yes', '--state-dir', good]);
  assert.equal(direct.code, 2);
  assert.match(direct.stderr, /bad feature bitmap 7/);
  assert.ok(noStack(direct.stderr));
  // The undo command as printed (argv split on spaces: no quoting needed for these words).
  const [, ...argv] = hint!.split(' ');
  const undo = await cliIn(ns, [...argv.filter((w, i, a) => !(w === '--netns' || a[i - 1] === '--netns')), '--yes']);
  assert.equal(undo.code, 0, undo.stderr);
  assert.deepEqual(diff(original, await oracleAll(ns)), [], 'restored exactly');
  // restore --last skips the corrupt ones (says so) and finds the good one: already restored, harmless.
  const last = await cliIn(ns, ['restore', '--last', '--yes', '--state-dir', good]);
  assert.equal(last.code, 0, last.stderr);
  assert.match(last.stderr, /skipping corrupt snapshot 29991231-235959-000-bbbb/);
  assert.ok(noStack(last.stderr));
  truncateSync(join(snapDir, id!), 0);
  const none = await cliIn(ns, ['restore', '--last', '--yes', '--state-dir', good]);
  assert.equal(none.code, 2, none.stderr);
  assert.ok(noStack(none.stderr));
});
