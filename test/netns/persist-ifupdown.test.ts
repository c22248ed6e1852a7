import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { run } from '../../src/kernel/exec.js';
import { createNetns, deleteNetns, ipIn, nsRun, uniquePrefix } from '../../src/lab/netns.js';
import { tsoGsoStillOn } from './persist-helpers.js';
import { cliIn, skipReason, tmpDir } from './helpers/cli.js';
import { oracleFeatures } from './helpers/oracle.js';

/**
 * The ifupdown target, proven with the real consumers: `ifquery` parses the rendered file, and
 * Debian's own ethtool hooks (package ethtool: /etc/network/if-pre-up.d/ethtool and
 * /etc/network/if-up.d/ethtool) run with the environment ifupdown gives them for that stanza
 * (IFACE, LOGICAL, ADDRFAM, METHOD, MODE, PHASE and IF_<OPTION>=value); the post-up line runs the
 * way ifupdown/ifupdown2 run it (/bin/sh -c). The oracle shows the policy applied.
 */
const HOOKS = ['/etc/network/if-pre-up.d/ethtool', '/etc/network/if-up.d/ethtool'];
const skip =
  skipReason('ifquery') ||
  (HOOKS.every(existsSync) ? false : 'needs the ethtool package ifupdown hooks (/etc/network/if-up.d/ethtool)');
const ns = skip ? '' : `${uniquePrefix('pif')}a`;
const roots: (() => void)[] = [];
after(async () => {
  if (ns) await deleteNetns(ns);
  for (const r of roots) r();
});

const INTERFACES = `# The loopback network interface
auto lo
iface lo inet loopback

auto olcv0
iface olcv0 inet manual

allow-hotplug olcv1
iface olcv1 inet manual
    mtu 1500
`;

/** `ifquery` output ("option: value" lines) → the options ifupdown exports. */
function options(text: string): [string, string][] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const i = l.indexOf(': ');
      return [l.slice(0, i), l.slice(i + 2)] as [string, string];
    });
}

/** The environment ifupdown (execute.c set_environ) gives hooks: IF_ + option name upper-cased, '-' → '_'. */
function hookEnv(iface: string, opts: [string, string][], phase: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    IFACE: iface,
    LOGICAL: iface,
    ADDRFAM: 'inet',
    METHOD: 'manual',
    MODE: 'start',
    PHASE: phase,
    VERBOSITY: '0',
  };
  for (const [k, v] of opts) {
    if (['up', 'down', 'pre-up', 'post-down'].includes(k)) continue;
    env[`IF_${k.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = v;
  }
  return env;
}

test('ifupdown: ifquery parses the rendered stanzas; the Debian ethtool hook applies offload-* options', {
  skip,
}, async () => {
  await createNetns(ns);
  await ipIn(ns, ['link', 'add', 'olcv0', 'type', 'veth', 'peer', 'name', 'olcv1']);
  const root = tmpDir('pif');
  roots.push(root.remove);
  mkdirSync(`${root.dir}/etc/network`, { recursive: true });
  writeFileSync(`${root.dir}/etc/network/interfaces`, INTERFACES);

  const p = await cliIn(ns, ['persist', '--target', 'ifupdown', '--root', root.dir]);
  assert.equal(p.code, 0, p.stderr);
  const file = `${root.dir}/etc/network/interfaces`;
  assert.equal(readFileSync(`${file}.offloadctl-backup`, 'utf8'), INTERFACES);

  const q = await run(['ifquery', '-i', file, 'olcv0']);
  assert.equal(q.code, 0, q.stderr);
  const opts = options(q.stdout);
  assert.deepEqual(
    opts.filter(([k]) => k.startsWith('offload-')),
    [
      ['offload-tso', 'off'],
      ['offload-gso', 'off'],
    ],
  );
  assert.deepEqual(
    opts.find(([k]) => k === 'up'),
    ['up', '/sbin/ethtool -K olcv0 tso off gso off || true'],
  );
  const list = await run(['ifquery', '-i', file, '--list']);
  assert.deepEqual(list.stdout.trim().split('\n'), ['lo', 'olcv0']);
  const hot = await run(['ifquery', '-i', file, '--list', '--allow=hotplug']);
  assert.deepEqual(hot.stdout.trim().split('\n'), ['olcv1']);

  assert.ok(tsoGsoStillOn(await oracleFeatures(ns, 'olcv0')).length > 0);
  for (const [hook, phase] of [
    [HOOKS[0]!, 'pre-up'],
    [HOOKS[1]!, 'post-up'],
  ] as const) {
    const r = await nsRun(ns, [hook], { env: hookEnv('olcv0', opts, phase) });
    assert.equal(r.code, 0, r.stderr);
  }
  assert.deepEqual(tsoGsoStillOn(await oracleFeatures(ns, 'olcv0')), []);
});

test('ifupdown2/Proxmox path: the post-up line, run as ifupdown runs it (sh -c), applies the policy', {
  skip,
}, async () => {
  const root = tmpDir('pif2');
  roots.push(root.remove);
  const q = await cliIn(ns, ['persist', '--target', 'ifupdown', '--root', root.dir, '--dry-run']);
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stdout, /note: olcv0: no ifupdown stanza/);
  mkdirSync(`${root.dir}/etc/network`, { recursive: true });
  mkdirSync(`${root.dir}/etc/pve`, { recursive: true });
  writeFileSync(`${root.dir}/etc/network/interfaces`, INTERFACES);
  assert.equal((await cliIn(ns, ['persist', '--target', 'ifupdown', '--root', root.dir])).code, 0);
  const out = await run(['ifquery', '-i', `${root.dir}/etc/network/interfaces`, 'olcv1']);
  const opts = options(out.stdout);
  assert.equal(opts.filter(([k]) => k.startsWith('offload-')).length, 0, 'Proxmox: post-up only');
  const up = opts.find(([k]) => k === 'up')![1];
  assert.ok(tsoGsoStillOn(await oracleFeatures(ns, 'olcv1')).length > 0);
  const r = await nsRun(ns, ['/bin/sh', '-c', up]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(tsoGsoStillOn(await oracleFeatures(ns, 'olcv1')), []);
  // Idempotent, and uninstall gives the original file back.
  const again = await cliIn(ns, ['persist', '--target', 'ifupdown', '--root', root.dir]);
  assert.match(again.stdout, /ifupdown: unchanged/);
  assert.equal((await cliIn(ns, ['persist', '--target', 'ifupdown', '--root', root.dir, '--uninstall'])).code, 0);
  assert.equal(readFileSync(`${root.dir}/etc/network/interfaces`, 'utf8'), INTERFACES);
});
