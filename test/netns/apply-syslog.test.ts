import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../../src/lab/netns.js';
import { cliIn, skipReason, tmpDir } from './helpers/cli.js';

/**
 * Issue 15 item 1: `apply --syslog` (what the udev rule and the hook run) reports a failure to
 * syslog as `logger -t offloadctl -p daemon.err`, and still exits with the failure's code. A stand-in
 * `logger` first in PATH records its arguments (the real one would write to the host's journal).
 */
const skip = skipReason();
let ns = '';
const dirs: (() => void)[] = [];
after(async () => {
  if (ns) await deleteNetns(ns);
  for (const d of dirs) d();
});

test('apply --syslog: a failure goes to logger -t offloadctl, the exit code is kept; success logs nothing', {
  skip,
  timeout: 120_000,
}, async () => {
  ns = await createNetns(`${uniquePrefix('asl')}a`);
  await ipBatch(ns, ['link add s0 type veth peer name s1']);
  const t = tmpDir('asl');
  dirs.push(t.remove);
  const bin = join(t.dir, 'bin');
  mkdirSync(bin);
  const log = join(t.dir, 'log');
  writeFileSync(join(bin, 'logger'), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${log}\n`);
  chmodSync(join(bin, 'logger'), 0o755);
  const env = { PATH: `${bin}:${process.env.PATH}` };
  const open = join(t.dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const bad = await cliIn(ns, ['apply', '--interface', 's0', '--yes', '--syslog', '--state-dir', open], env);
  assert.equal(bad.code, 3, bad.stderr);
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(
    lines[0]!,
    /^-t offloadctl -p daemon\.err -- apply --interface s0: refusing state directory .* \(exit 3\)$/,
  );
  const good = await cliIn(
    ns,
    ['apply', '--interface', 's0', '--yes', '--syslog', '--state-dir', join(t.dir, 'ok')],
    env,
  );
  assert.equal(good.code, 0, good.stderr);
  assert.equal(readFileSync(log, 'utf8').trim().split('\n').length, 1, 'nothing logged on success');
});
