import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultOvsdbSocket, jsonStream, OvsdbError, readOvsdbTables } from '../../../src/kernel/ovsdb.js';

test('jsonStream: concatenated JSON-RPC messages split at any byte, braces inside strings ignored', () => {
  const text =
    JSON.stringify({ id: 1, result: [{ rows: [{ name: 'a}{"' }] }] }) +
    JSON.stringify({ method: 'echo', params: [], id: 'echo' });
  for (let cut = 1; cut < text.length; cut++) {
    const got: unknown[] = [];
    const feed = jsonStream((m) => got.push(m));
    feed(text.slice(0, cut));
    feed(text.slice(cut));
    assert.equal(got.length, 2, `cut at ${cut}`);
    assert.deepEqual((got[0] as { result: { rows: { name: string }[] }[] }).result[0]!.rows[0]!.name, 'a}{"');
  }
});

test('the socket is $OVS_RUNDIR/db.sock, as for ovs-vsctl', () => {
  assert.equal(defaultOvsdbSocket({}), '/var/run/openvswitch/db.sock');
  assert.equal(defaultOvsdbSocket({ OVS_RUNDIR: '/tmp/x' }), '/tmp/x/db.sock');
});

test('no ovsdb-server (no socket): null, not an error', async () => {
  assert.equal(await readOvsdbTables('/nonexistent-offloadctl/db.sock'), null);
});

test('a server that answers the transact: rows per table; one that errs: OvsdbError', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsdb-test-'));
  const path = join(dir, 'db.sock');
  let mode: 'ok' | 'err' = 'ok';
  const seen: unknown[] = [];
  // A stand-in for ovsdb-server speaking RFC 7047 transact (this test's fake; the real one is in test/netns/ovs.test.ts).
  const server = createServer((c) => {
    const feed = jsonStream((m) => {
      const req = m as { id: number; method?: string; params: unknown[] };
      if (req.method !== 'transact') return; // the client's answer to our echo
      seen.push(m);
      // An echo first (servers probe idle clients), split across writes.
      const echo = JSON.stringify({ method: 'echo', params: [], id: 'echo' });
      c.write(echo.slice(0, 5));
      c.write(echo.slice(5));
      if (mode === 'err') c.write(JSON.stringify({ id: req.id, result: null, error: 'unknown database' }));
      else
        c.write(
          JSON.stringify({
            id: req.id,
            error: null,
            result: [{ rows: [{ name: 'br0' }] }, { rows: [] }, { rows: [{ name: 'vm1' }] }],
          }),
        );
    });
    c.on('data', (b) => feed(b.toString()));
    c.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(path, r));
  try {
    const t = await readOvsdbTables(path);
    assert.deepEqual(t, { Bridge: [{ name: 'br0' }], Port: [], Interface: [{ name: 'vm1' }] });
    const req = seen[0] as { method: string; params: [string, ...{ op: string; table: string }[]] };
    assert.equal(req.method, 'transact');
    assert.equal(req.params[0], 'Open_vSwitch');
    assert.deepEqual(
      req.params.slice(1).map((p) => (p as { table: string }).table),
      ['Bridge', 'Port', 'Interface'],
    );
    mode = 'err';
    await assert.rejects(readOvsdbTables(path), OvsdbError);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
