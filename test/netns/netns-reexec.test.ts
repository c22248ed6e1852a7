/**
 * `--netns NAME` (issue 14 items 6 and 10): an inherited OFFLOADCTL_NETNS=NAME must not make it a
 * no-op (the command would run on the host's interfaces), and `agent --install-unit` run through
 * it writes a unit that joins the namespace. Oracle: `ip -json link` in the namespace.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, deleteNetns, ipIn, uniquePrefix } from '../../src/lab/netns.js';
import { BIN, agentSkip as skip } from './agent-harness.js';

let ns = '';
const root = mkdtempSync(join(tmpdir(), 'olc-unit-root-'));
after(async () => {
  if (ns) await deleteNetns(ns);
  rmSync(root, { recursive: true, force: true });
});

test('inherited OFFLOADCTL_NETNS=B: `--netns B` still runs in B', { skip }, async () => {
  ns = await createNetns(`${uniquePrefix('rx')}a`);
  await ipIn(ns, ['tuntap', 'add', 'dev', 'rxtap0', 'mode', 'tap']);
  const inNs = (JSON.parse(await ipIn(ns, ['-json', 'link'])) as { ifname: string }[]).map((l) => l.ifname).sort();
  const r = spawnSync(process.execPath, [BIN, '--netns', ns, 'status', '--json'], {
    encoding: 'utf8',
    env: { ...process.env, OFFLOADCTL_NETNS: ns },
  });
  assert.equal(r.status, 0, r.stderr);
  const names = (JSON.stringify(JSON.parse(r.stdout)).match(/"name":"[^"]+"/g) ?? []).map((s) => s.slice(8, -1));
  assert.ok(names.includes('rxtap0'), `status ran in ${ns}: ${names.join(' ')}`);
  for (const n of names) assert.ok(inNs.includes(n), `${n} is not in ${ns} (${inNs.join(' ')})`);
});

test('`--netns B agent --install-unit`: the unit joins B', { skip }, async () => {
  assert.ok(ns, 'namespace from the test before');
  const r = spawnSync(
    process.execPath,
    [BIN, '--netns', ns, 'agent', '--install-unit', '--root', root, '--exec-path', '/usr/bin/offloadctl'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const p = join(root, 'etc/systemd/system', `offloadctl-agent-netns-${ns}.service`);
  assert.ok(existsSync(p), r.stdout);
  assert.ok(!existsSync(join(root, 'etc/systemd/system/offloadctl-agent.service')), 'no host unit written');
  const lines = readFileSync(p, 'utf8').split('\n');
  assert.ok(lines.includes(`NetworkNamespacePath=/run/netns/${ns}`));
  assert.ok(lines.includes(`RequiresMountsFor=/run/netns/${ns}`));
  assert.ok(lines.some((l) => l.startsWith('ExecStart=') && l.includes(`--state-dir /var/lib/offloadctl/netns-${ns}`)));
  assert.match(r.stdout, new RegExp(`enable --now offloadctl-agent-netns-${ns}\\b`));
});
