import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { AppendLog, mkdirDurable, parseJsonLines, writeFileDurable } from '../../../src/apply/durable.js';
import { SnapshotStore, currentNetns, journaledInterfaces, sameNetns, statusOf } from '../../../src/apply/store.js';
import type { Snapshot } from '../../../src/apply/types.js';
import { OffloadError } from '../../../src/model/errors.js';

function tmp(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'olc-store-test-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

function snap(id: string, netns: string | null = null): Snapshot {
  return {
    version: 2,
    id,
    createdAt: '2026-11-25T12:00:00.000Z',
    policy: 'tso-gso-off',
    netns,
    features: ['a'],
    interfaces: [
      { name: 'v0', ifindex: 2, role: 'veth', master: null, stage: 0, recorded: '1', requested: '1', active: '1' },
    ],
  };
}

test('writeFileDurable replaces atomically, mode 600, no temporary left', () => {
  const t = tmp();
  try {
    const p = join(t.dir, 'x.json');
    writeFileDurable(p, 'one');
    writeFileDurable(p, 'two');
    assert.equal(readFileSync(p, 'utf8'), 'two');
    assert.deepEqual(readdirSync(t.dir), ['x.json']);
    assert.equal(statSync(p).mode & 0o777, 0o600);
  } finally {
    t.done();
  }
});

test('mkdirDurable creates nested directories (mode 700)', () => {
  const t = tmp();
  try {
    const d = join(t.dir, 'a', 'b', 'snapshots');
    mkdirDurable(d);
    assert.equal(statSync(d).mode & 0o777, 0o700);
    mkdirDurable(d); // again: fine
  } finally {
    t.done();
  }
});

test('AppendLog appends JSON lines; a torn last line is ignored when read', () => {
  const t = tmp();
  try {
    const p = join(t.dir, 'j');
    const log = new AppendLog(p);
    log.append([{ op: 'intent', n: 1 }]);
    log.append([
      { op: 'done', n: 1 },
      { op: 'intent', n: 2 },
    ]);
    log.close();
    writeFileSync(p, readFileSync(p, 'utf8') + '{"op":"do', { flag: 'w' });
    assert.deepEqual(parseJsonLines(readFileSync(p, 'utf8')), [
      { op: 'intent', n: 1 },
      { op: 'done', n: 1 },
      { op: 'intent', n: 2 },
    ]);
    assert.throws(() => log.append([{}]), /closed/);
  } finally {
    t.done();
  }
});

test('statusOf: no end → interrupted; end → its status; restored wins', () => {
  assert.deepEqual(statusOf([]), { status: 'interrupted', restoredAt: null });
  assert.equal(statusOf([{ op: 'intent', at: 'x', stage: 0, ifaces: ['a'] }]).status, 'interrupted');
  assert.equal(statusOf([{ op: 'end', at: 'x', status: 'applied' }]).status, 'applied');
  assert.deepEqual(
    statusOf([
      { op: 'end', at: 'x', status: 'partial' },
      { op: 'restored', at: 'y' },
    ]),
    {
      status: 'restored',
      restoredAt: 'y',
    },
  );
  assert.deepEqual(
    [
      ...journaledInterfaces([
        { op: 'intent', at: 'x', stage: 0, ifaces: ['a', 'b'] },
        { op: 'intent', at: 'x', stage: 1, ifaces: ['br0'] },
      ]),
    ],
    ['a', 'b', 'br0'],
  );
});

test('store: create, list in time order, last per namespace, summary', () => {
  const t = tmp();
  try {
    const s = new SnapshotStore(join(t.dir, 'state'));
    assert.deepEqual(s.list(), []);
    assert.equal(s.last({ name: null, id: null, host: null }), null);
    const ids = ['20261125-120000-000-aaaa', '20261125-120001-000-0000', '20261125-120002-000-ffff'];
    s.create(snap(ids[0]!)).close();
    const j = s.create(snap(ids[1]!, 'nsA'));
    j.append({ op: 'end', at: 'x', status: 'applied' });
    j.close();
    s.create(snap(ids[2]!)).close();
    assert.deepEqual(s.ids(), ids);
    assert.equal(s.last({ name: null, id: null, host: null }), ids[2]);
    assert.equal(s.last({ name: 'nsA', id: null, host: null }), ids[1]);
    assert.equal(s.last({ name: 'nsB', id: null, host: null }), null);
    const list = s.list();
    assert.deepEqual(
      list.map((x) => [x.status, x.interfaces, x.netns]),
      [
        ['interrupted', 1, null],
        ['applied', 1, 'nsA'],
        ['interrupted', 1, null],
      ],
    );
  } finally {
    t.done();
  }
});

test('store: ids sort by creation time', () => {
  const a = SnapshotStore.newId(new Date('2026-11-25T12:00:00.999Z'));
  const b = SnapshotStore.newId(new Date('2026-11-25T12:00:01.000Z'));
  assert.match(a, /^20261125-120000-999-[0-9a-f]{4}$/);
  assert.ok(a < b);
});

test('store: unknown, invalid and corrupt snapshots are input errors (exit 2)', () => {
  const t = tmp();
  try {
    const s = new SnapshotStore(t.dir);
    assert.throws(
      () => s.read('nope'),
      (e) => e instanceof OffloadError && e.exitCode === 2 && /no snapshot nope/.test(e.message),
    );
    assert.throws(
      () => s.read('../etc/passwd'),
      (e) => e instanceof OffloadError && e.exitCode === 2,
    );
    s.create(snap('20261125-120000-000-aaaa')).close();
    writeFileSync(join(s.dir, '20261125-120000-000-aaaa.json'), '{"version":1,');
    assert.throws(
      () => s.read('20261125-120000-000-aaaa'),
      (e) => e instanceof OffloadError && /unreadable/.test(e.message),
    );
  } finally {
    t.done();
  }
});

test('store: an unwritable state directory is a permission error (exit 3)', {
  skip: process.getuid?.() === 0 ? 'root can write anywhere' : false,
}, () => {
  const t = tmp();
  try {
    chmodSync(t.dir, 0o500);
    const s = new SnapshotStore(join(t.dir, 'sub'));
    assert.throws(
      () => s.create(snap('20261125-120000-000-aaaa')),
      (e) => e instanceof OffloadError && e.exitCode === 3,
    );
  } finally {
    chmodSync(t.dir, 0o700);
    t.done();
  }
});

test('store: a state directory path that is a file is a system error (exit 3)', () => {
  const t = tmp();
  try {
    const f = join(t.dir, 'file');
    writeFileSync(f, '');
    const s = new SnapshotStore(f);
    assert.throws(
      () => s.create(snap('20261125-120000-000-aaaa')),
      (e) => e instanceof OffloadError && e.exitCode === 3,
    );
  } finally {
    t.done();
  }
});

test('sameNetns: the host by being the host, others by identity (names can lie), else by name', () => {
  const here = (name: string | null, id: string | null, host: boolean | null = null) => ({ name, id, host });
  assert.equal(sameNetns({ netns: null, netnsId: 'net:[1]' }, here(null, 'net:[1]')), true);
  assert.equal(
    sameNetns({ netns: null, netnsId: 'net:[1]' }, here(null, 'net:[2]')),
    false,
    'plain ip netns exec vs the host',
  );
  assert.equal(sameNetns({ netns: 'a', netnsId: 'net:[1]' }, here(null, 'net:[1]')), true);
  assert.equal(sameNetns({ netns: 'a' }, here('a', 'net:[9]')), true, 'old snapshot without id');
  assert.equal(sameNetns({ netns: 'a' }, here(null, 'net:[9]')), false);
  assert.equal(
    sameNetns({ netns: null, netnsId: 'net:[7]', netnsHost: true }, here(null, 'net:[8]', true)),
    true,
    'the host after a reboot',
  );
  assert.equal(sameNetns({ netns: null, netnsId: 'net:[7]', netnsHost: true }, here(null, 'net:[7]', false)), false);
  assert.equal(sameNetns({ netns: null, netnsId: 'net:[5]', netnsHost: false }, here(null, 'net:[8]', true)), false);
  assert.equal(sameNetns({ netns: 'x', netnsId: 'net:[5]', netnsHost: false }, here('x', 'net:[5]', false)), true);
  const me = currentNetns();
  if (me.id === `net:[${0xeffffff9}]`) assert.equal(me.host, true, 'init_net is recognised by its fixed inode number');
  assert.match(currentNetns().id ?? 'net:[0]', /^net:\[\d+\]$/);
});
