/**
 * Issue 14 item 2: the agent's state directory on a full disk. A 16 KiB tmpfs, mounted by this test
 * inside a private mount namespace of the agent's own (unshare -m, never on the host's mounts) and
 * filled up; the agent in a namespace of its own. New taps must still be enforced (oracle:
 * `ethtool --json -k`), the agent must stay up, say "degraded" on /healthz, count the failed
 * writes in a metric and log them rate-limited, without a stack trace.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../../src/lab/netns.js';
import {
  agentNetns,
  agentSkip as skip,
  http,
  metricValue,
  metricsText,
  nonCompliant,
  oracle,
  startAgent,
  waitFor,
  type RunningAgent,
} from './agent-harness.js';

let ns = '';
let agent: RunningAgent | null = null;
const full = mkdtempSync(join(tmpdir(), 'olc-full-'));
after(() => rmSync(full, { recursive: true, force: true }));

// the mount lives in the agent's mount namespace only: it goes away with the agent
const FILL =
  'set -e; mount -t tmpfs -o size=16k,mode=0700 olc-full "$OLC_FULL"; head -c 1M /dev/zero > "$OLC_FULL/fill" 2>/dev/null || true; exec "$@"';

const lab = agentNetns();
before(async () => {
  if (skip) return;
  ({ ns, agent } = await lab.open('full', ['--state-dir', full], {
    wrap: ['unshare', '-m', '--propagation', 'private', 'sh', '-c', FILL, 'sh'],
    env: { OLC_FULL: full },
  }));
});
after(() => {
  if (agent) assert.equal(lab.exitCode, 0, 'SIGTERM: clean exit 0');
});

test('full disk: new taps are enforced, the agent stays up and says degraded', { skip, timeout: 120_000 }, async () => {
  const N = 30;
  await ipBatch(
    ns,
    [...Array(N).keys()].map((i) => `tuntap add dev ftap${i} mode tap`),
  );
  const names = [...Array(N).keys()].map((i) => `ftap${i}`);
  let last: string[] = [];
  await waitFor(
    async () => {
      last = nonCompliant(await oracle(ns), names);
      return last.length === 0;
    },
    30_000,
    `all ${N} taps compliant per ethtool --json -k`,
  ).catch((e) => {
    throw new Error(
      `${(e as Error).message}; still: ${last.slice(0, 5).join(' ')}; agent exit ${agent!.child.exitCode}; logs:\n${agent!.logs.slice(-5).join('\n')}`,
    );
  });
  assert.equal(agent!.child.exitCode, null, 'the agent is still running');
  const h = await http(ns, agent!.port, 'GET', '/healthz');
  assert.equal(h.status, 200);
  assert.match(h.text, /^degraded: journal write failed: ENOSPC/);
  const errors = metricValue(
    await metricsText(ns, agent!.port),
    'offloadctl_journal_write_errors_total{code="ENOSPC"}',
  );
  assert.ok(errors !== null && errors >= 1, `journal write errors counted: ${errors}`);
  const logged = agent!.logs.filter((l) => l.includes('journal write failed'));
  assert.ok(
    logged.length >= 1 && logged.length <= 10,
    `${logged.length} journal error lines (rate-limited to 10 a minute)`,
  );
  assert.deepEqual(
    agent!.logs.filter((l) => /\n?\s+at .+:\d+:\d+\)?$/.test(l)),
    [],
    'no stack trace on stderr',
  );
});

test('a disk that fills up in the middle of a write: the journal keeps whole JSON lines', {
  skip,
  timeout: 120_000,
}, async () => {
  // one page (4 KiB) left: the journal's writes fill it, one is cut short, the rest fail
  const dir2 = mkdtempSync(join(tmpdir(), 'olc-full2-'));
  const ns2 = await createNetns(`${uniquePrefix('full')}b`);
  let a: RunningAgent | null = null;
  try {
    a = await startAgent(ns2, ['--state-dir', dir2], {
      port: 9470,
      wrap: [
        'unshare',
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        FILL.replace('head -c 1M /dev/zero', 'head -c 12288 /dev/zero'),
        'sh',
      ],
      env: { OLC_FULL: dir2 },
    });
    const N = 80;
    await ipBatch(
      ns2,
      [...Array(N).keys()].map((i) => `tuntap add dev gtap${i} mode tap`),
    );
    const names = [...Array(N).keys()].map((i) => `gtap${i}`);
    await waitFor(async () => nonCompliant(await oracle(ns2), names).length === 0, 30_000, `all ${N} taps compliant`);
    assert.equal(a.child.exitCode, null, 'the agent is still running');
    // the file as the agent sees it: through its own mount namespace
    const text = readFileSync(`/proc/${a.child.pid}/root${dir2}/agent-journal.jsonl`, 'utf8');
    const lines = text.split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.ok(lines.length < N, `${lines.length} lines journaled before the disk was full`);
    for (const l of lines) assert.doesNotThrow(() => JSON.parse(l), l);
    // The record of the state before the first changes (restore --agent) fills the disk first: it too
    // keeps whole lines only, and the agent says it could not write all of it.
    const snapDir = `/proc/${a.child.pid}/root${dir2}/snapshots`;
    for (const f of readdirSync(snapDir).filter((n) => n.endsWith('.agent.jsonl'))) {
      const recs = readFileSync(join(snapDir, f), 'utf8');
      if (recs) assert.ok(recs.endsWith('\n'), 'the record ends with a whole line');
      for (const l of recs.split('\n').filter(Boolean)) assert.doesNotThrow(() => JSON.parse(l));
    }
    assert.match(
      (await http(ns2, a.port, 'GET', '/healthz')).text,
      /^degraded: journal write failed: ENOSPC; state before first changes not recorded: ENOSPC/,
    );
  } finally {
    if (a) await a.stop();
    await deleteNetns(ns2);
    rmSync(dir2, { recursive: true, force: true });
  }
});
