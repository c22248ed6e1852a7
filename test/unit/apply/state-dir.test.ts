import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  truncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapshotStore } from '../../../src/apply/store.js';
import { fileJournal } from '../../../src/agent/journal.js';
import type { Snapshot } from '../../../src/apply/types.js';
import { OffloadError } from '../../../src/model/errors.js';

/**
 * Issue 14 item 3: a state directory someone else can write is refused (exit 3), and files in it
 * are never opened through a planted symlink — the target (a file only root should write) keeps
 * its content byte for byte. Item 9: corrupt snapshots are listed as such and skipped.
 */
const isRoot = process.getuid?.() === 0;

function tmp(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'olc-statedir-test-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

function snap(id: string): Snapshot {
  return {
    version: 2,
    id,
    createdAt: '2026-11-25T12:00:00.000Z',
    policy: 'tso-gso-off',
    netns: null,
    features: ['a'],
    interfaces: [
      { name: 'v0', ifindex: 2, role: 'veth', master: null, stage: 0, recorded: '1', requested: '1', active: '1' },
    ],
  };
}

const refused = (re: RegExp) => (e: unknown) =>
  e instanceof OffloadError && e.exitCode === 3 && re.test(e.message) && !e.message.includes('\n');

/** A file standing for /etc/shadow: outside the state directory, 0600, owned by the test's user. */
function victim(dir: string): { path: string; unchanged: () => void } {
  const path = join(dir, 'victim');
  writeFileSync(path, 'root:secret\n', { mode: 0o600 });
  return {
    path,
    unchanged: () => assert.equal(readFileSync(path, 'utf8'), 'root:secret\n', 'the symlink target is not modified'),
  };
}

test('a group- or world-writable state directory is refused (exit 3, one line); the planted symlink target is untouched', () => {
  const t = tmp();
  try {
    const v = victim(t.dir);
    const state = join(t.dir, 'state');
    mkdirSync(join(state, 'snapshots'), { recursive: true });
    chmodSync(state, 0o777); // "user-writable": anyone can plant files here
    const id = '20261125-120000-000-aaaa';
    symlinkSync(v.path, join(state, 'snapshots', `${id}.journal`));
    symlinkSync(v.path, join(state, 'agent-journal.jsonl'));
    const s = new SnapshotStore(state);
    assert.throws(() => s.create(snap(id)), refused(/refusing state directory .*writable by others \(mode 0777\)/));
    assert.throws(() => s.list(), refused(/refusing state directory/));
    assert.throws(() => fileJournal(state), refused(/refusing state directory/));
    chmodSync(state, 0o770);
    assert.throws(() => s.create(snap(id)), refused(/writable by group/));
    v.unchanged();
  } finally {
    t.done();
  }
});

test('a state directory owned by another user is refused (exit 3)', {
  skip: isRoot ? false : 'needs root to chown',
}, () => {
  const t = tmp();
  try {
    const state = join(t.dir, 'state');
    mkdirSync(state, { mode: 0o700 });
    chownSync(state, 65534, 65534);
    assert.throws(
      () => new SnapshotStore(state).create(snap('20261125-120000-000-aaaa')),
      refused(/owned by uid 65534, not by the running user/),
    );
  } finally {
    t.done();
  }
});

test('in a good state directory, planted symlinks (ID.journal, agent-journal.jsonl, lock, ID.json) are never followed', async () => {
  const t = tmp();
  try {
    const v = victim(t.dir);
    const state = join(t.dir, 'state');
    mkdirSync(join(state, 'snapshots'), { recursive: true, mode: 0o700 });
    const s = new SnapshotStore(state);
    const id = '20261125-120000-000-aaaa';
    // apply: the journal is created with O_EXCL|O_NOFOLLOW
    symlinkSync(v.path, join(state, 'snapshots', `${id}.journal`));
    assert.throws(
      () => s.create(snap(id)),
      (e) => e instanceof OffloadError && e.exitCode === 3,
    );
    rmSync(join(state, 'snapshots', `${id}.journal`));
    s.create(snap(id)).close();
    // restore: an existing journal swapped for a symlink
    rmSync(join(state, 'snapshots', `${id}.journal`));
    symlinkSync(v.path, join(state, 'snapshots', `${id}.journal`));
    assert.throws(() => s.journal(id).append({ op: 'restored', at: 'x' }), refused(/symbolic link/));
    // reading a snapshot swapped for a symlink
    rmSync(join(state, 'snapshots', `${id}.json`));
    symlinkSync(v.path, join(state, 'snapshots', `${id}.json`));
    assert.throws(() => s.read(id), refused(/symbolic link/));
    // the agent's journal
    symlinkSync(v.path, join(state, 'agent-journal.jsonl'));
    assert.throws(() => fileJournal(state), refused(/symbolic link/));
    // the lock file
    symlinkSync(v.path, join(state, 'lock'));
    await assert.rejects(s.lock({ timeoutSeconds: 0 }), refused(/symbolic link/));
    v.unchanged();
    assert.equal(statSync(v.path).mode & 0o777, 0o600);
  } finally {
    t.done();
  }
});

test('corrupt snapshots: listed as corrupt with the reason, the others still listed; --last skips them', () => {
  const t = tmp();
  try {
    const s = new SnapshotStore(join(t.dir, 'state'));
    const ids = ['20261125-120000-000-aaaa', '20261125-120001-000-bbbb', '20261125-120002-000-cccc'];
    for (const id of ids) s.create(snap(id)).close();
    const p1 = join(s.dir, `${ids[1]}.json`);
    truncateSync(p1, 40);
    const bad = JSON.parse(readFileSync(join(s.dir, `${ids[2]}.json`), 'utf8'));
    bad.interfaces[0].ifindex = 'two';
    writeFileSync(join(s.dir, `${ids[2]}.json`), JSON.stringify(bad));
    const list = s.list();
    assert.deepEqual(
      list.map((x) => [x.id, x.status]),
      [
        [ids[0], 'interrupted'],
        [ids[1], 'corrupt'],
        [ids[2], 'corrupt'],
      ],
    );
    assert.match(list[1]!.error!, /truncated/);
    assert.match(list[2]!.error!, /bad ifindex "two"/);
    assert.equal(list[2]!.createdAt, '2026-11-25T12:00:02.000Z', 'time from the id');
    const skipped: string[] = [];
    assert.equal(
      s.last({ name: null, id: null, host: null }, (id) => skipped.push(id)),
      ids[0],
    );
    assert.deepEqual(skipped, [ids[2], ids[1]]);
    assert.throws(
      () => s.read(ids[2]!),
      (e) => e instanceof OffloadError && e.exitCode === 2 && /bad ifindex/.test(e.message),
    );
    // A garbled journal line (valid JSON, wrong shape) is ignored, not trusted.
    writeFileSync(
      join(s.dir, `${ids[0]}.journal`),
      '{"op":"end","at":"x","status":"applied"}\n{"op":"end","status":5}\n',
    );
    assert.equal(s.summary(ids[0]!).status, 'applied');
  } finally {
    t.done();
  }
});
