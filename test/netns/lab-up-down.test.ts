/**
 * The lab end to end through the built CLI: lab up → status in the hypervisor namespace shows br0 with
 * its ports and roles and the simulated VMs → traffic crosses the bridge between two guest namespaces →
 * lab down leaves no namespace behind. Plus: a failing `up` removes what it made.
 * Needs root (network namespaces); run `npm run build` first (scripts/test.sh does).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/kernel/exec.js';
import { listNetns, nsRun } from '../../src/lab/netns.js';

const root = process.getuid?.() === 0;
const skip = root ? false : 'needs root: the lab creates network namespaces';
const bin = new URL('../../bin/offloadctl', import.meta.url).pathname;
const stateDir = mkdtempSync(join(tmpdir(), 'olc-labtest-'));
const env = { ...process.env, OFFLOADCTL_LAB_DIR: stateDir };
const name = `t${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const failName = `${name}f`;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run([process.execPath, bin, ...args], { env, timeoutMs: 120_000 });
}

after(async () => {
  // Whatever happened above: remove both labs (idempotent; through the library, so this works even
  // when the CLI cannot run), then the state folder.
  if (root) {
    const { labDown } = await import('../../src/lab/lab.js');
    process.env.OFFLOADCTL_LAB_DIR = stateDir;
    try {
      await labDown(name);
      await labDown(failName);
      await labDown(`${name}p`);
    } finally {
      delete process.env.OFFLOADCTL_LAB_DIR;
    }
  }
  rmSync(stateDir, { recursive: true, force: true });
});

const labNamespaces = async (n: string) => (await listNetns()).filter((ns) => ns.startsWith(`olab-${n}-`));

test('lab up → status shows br0, ports, roles, VMs → guests ping across br0 → lab down removes everything', {
  skip,
}, async () => {
  assert.ok(existsSync(new URL('../../dist/main.cjs', import.meta.url)), 'dist/main.cjs missing: run npm run build');
  const up = await cli(['lab', 'up', '--name', name, '--ports', '4', '--json']);
  assert.equal(up.code, 0, up.stderr);
  const lab = JSON.parse(up.stdout);
  assert.equal(lab.hypervisor, `olab-${name}-hv`);
  assert.equal(lab.state, 'up');
  assert.deepEqual(
    lab.guests.map((g: { port: string }) => g.port),
    ['vif1.0', 'vif2.0'],
  );
  assert.deepEqual((await labNamespaces(name)).sort(), [...lab.namespaces].sort());

  // Idempotent: a second up changes nothing.
  const again = await cli(['lab', 'up', '--name', name, '--ports', '4']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /up already/);

  const st = await cli(['lab', 'status', '--name', name, '--json']);
  assert.equal(st.code, 0, st.stderr);
  assert.equal(JSON.parse(st.stdout).hypervisor, lab.hypervisor);

  const status = await cli([
    '--netns',
    lab.hypervisor,
    'status',
    '--json',
    '--libvirt-dir',
    lab.libvirtDir,
    '--proxmox-dir',
    lab.proxmoxDir,
  ]);
  assert.equal(status.code, 0, status.stderr);
  const ifs = JSON.parse(status.stdout).interfaces as {
    name: string;
    role: string;
    master: string | null;
    vm: { platform: string; name: string | null; id: string | null } | null;
  }[];
  const by = new Map(ifs.map((i) => [i.name, i]));
  assert.equal(by.get('br0')?.role, 'bridge');
  for (const p of ['uplink0', 'vif1.0', 'vnet0', 'vif2.0', 'tap100i0']) assert.equal(by.get(p)?.master, 'br0', p);
  assert.equal(by.get('uplink0')?.role, 'veth');
  assert.equal(by.get('vif1.0')?.role, 'vm-port');
  assert.equal(by.get('vnet0')?.role, 'vm-port');
  assert.deepEqual(by.get('vnet0')?.vm && [by.get('vnet0')!.vm!.platform, by.get('vnet0')!.vm!.name], [
    'libvirt',
    `${name}-vm0`,
  ]);
  assert.deepEqual(
    by.get('tap100i0')?.vm && [
      by.get('tap100i0')!.vm!.platform,
      by.get('tap100i0')!.vm!.id,
      by.get('tap100i0')!.vm!.name,
    ],
    ['proxmox', '100', `${name}-pve100`],
  );
  assert.deepEqual(by.get('vif2.0')?.vm && [by.get('vif2.0')!.vm!.platform, by.get('vif2.0')!.vm!.id], ['xen', '2']);

  // The table lists the ports indented under br0.
  const table = await cli(['--netns', lab.hypervisor, 'status']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^br0 .*\n {2}uplink0 /m);
  assert.match(table.stdout, /^ {2}vnet0 +vm-port/m);

  // Traffic crosses the bridge: guest 1 → guest 2, and guest 1 → upstream via the uplink.
  const [g1, g2] = lab.guests;
  const ping = await nsRun(g1.ns, ['ping', '-c', '2', '-i', '0.2', '-W', '2', g2.ip]);
  assert.equal(ping.code, 0, `ping ${g2.ip} from ${g1.ns}: ${ping.stdout}${ping.stderr}`);
  const pingUp = await nsRun(g1.ns, ['ping', '-c', '1', '-W', '2', lab.uplink.ip]);
  assert.equal(pingUp.code, 0, pingUp.stdout + pingUp.stderr);

  const down = await cli(['lab', 'down', '--name', name]);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(await labNamespaces(name), []);
  assert.equal(existsSync(join(stateDir, `${name}.json`)), false);
  assert.equal(existsSync(join(stateDir, name)), false);
  const gone = await cli(['lab', 'status', '--name', name]);
  assert.equal(gone.code, 2);
  assert.match(gone.stderr, /no lab named/);
  const downAgain = await cli(['lab', 'down', '--name', name]);
  assert.equal(downAgain.code, 0);
});

test('a failing lab up removes everything it made', { skip }, async () => {
  const { labUp, readLabState } = await import('../../src/lab/lab.js');
  process.env.OFFLOADCTL_LAB_DIR = stateDir;
  try {
    await assert.rejects(
      labUp(failName, 3, {
        onStep: async (s) => {
          if (s === 'links') throw new Error('injected failure after the links were made');
        },
      }),
      (e: unknown) => e instanceof Error && /failed \(everything made was removed\): injected/.test(e.message),
    );
    assert.deepEqual(await labNamespaces(failName), []);
    assert.equal(readLabState(failName), null);
  } finally {
    delete process.env.OFFLOADCTL_LAB_DIR;
  }
});

test('lab usage errors exit 2', { skip }, async () => {
  const bad = await cli(['lab', 'up', '--name', 'bad name']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid lab name/);
  const ports = await cli(['lab', 'up', '--name', `${name}p`, '--ports', '0']);
  assert.equal(ports.code, 2);
  assert.deepEqual(await labNamespaces(`${name}p`), []);
});
