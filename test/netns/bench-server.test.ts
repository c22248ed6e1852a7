import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, deleteNetns, ipIn, uniquePrefix } from '../../src/lab/netns.js';
import { startIperfServer, type ServerHandle } from '../../src/lab/iperf.js';
import type { BenchResult } from '../../src/bench/types.js';
import { BENCH_TIMEOUT_MS } from './bench-helpers.js';
import { cli, haveCli, isRoot } from './helpers/cli.js';
import { oracleAll } from './helpers/oracle.js';

/**
 * `bench --server HOST`: an iperf3 server "elsewhere" (here: a peer namespace we made) and only the
 * local interfaces changed — the local side is a namespace too (`offloadctl --netns`), never the
 * root namespace. The peer's interfaces stay untouched; the local ones are restored (oracle).
 */

const skip = !isRoot ? 'needs root (network namespaces)' : !haveCli() ? 'needs `npm run build`' : false;
const prefix = uniquePrefix('bsrv');
const local = `${prefix}local`;
const peer = `${prefix}peer`;
const stateDir = mkdtempSync(join(tmpdir(), 'olc-bench-srv-'));
let server: ServerHandle | null = null;

before(async () => {
  if (skip) return;
  await createNetns(local);
  await createNetns(peer);
  await ipIn(local, ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peer]);
  await ipIn(local, ['addr', 'add', '192.0.2.1/24', 'dev', 'eth0']);
  await ipIn(peer, ['addr', 'add', '192.0.2.2/24', 'dev', 'eth0']);
  await ipIn(local, ['link', 'set', 'eth0', 'up']);
  await ipIn(peer, ['link', 'set', 'eth0', 'up']);
  server = await startIperfServer(peer, 5201, '192.0.2.2');
});

after(async () => {
  await server?.stop();
  if (!skip) {
    await deleteNetns(local);
    await deleteNetns(peer);
  }
  rmSync(stateDir, { recursive: true, force: true });
});

test('bench --server: traffic to a remote iperf3, only local interfaces change, restored after', { skip }, async () => {
  const localBefore = await oracleAll(local);
  const peerBefore = await oracleAll(peer);
  const r = await cli(
    [
      '--netns',
      local,
      'bench',
      '--server',
      '192.0.2.2',
      '--profiles',
      'offloads-on,tso-gso-off',
      '--tests',
      'tcp,rr',
      '--duration',
      '1',
      '--repeat',
      '1',
      '--state-dir',
      stateDir,
      '--json',
    ],
    { timeoutMs: BENCH_TIMEOUT_MS },
  );
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as BenchResult;
  assert.equal(res.environment.lab, 'server');
  assert.deepEqual(res.tests, ['tcp'], 'rr skipped: no echo server given');
  assert.match(r.stderr, /skipping rr: needs an echo server/);
  for (const p of ['offloads-on', 'tso-gso-off']) assert.ok(res.summary[p]!.tcp!.gbps!.median > 0, p);
  assert.equal(res.restored, true);
  assert.deepEqual(await oracleAll(local), localBefore);
  assert.deepEqual(await oracleAll(peer), peerBefore);
});
