/**
 * A real Open vSwitch for the netns tests (not a test file): ovsdb-server and ovs-vswitchd from
 * Debian's openvswitch-switch, started inside a network namespace the test made, with their own
 * run/db/log directory in a temp dir, and the userspace datapath (datapath_type=netdev: this kernel
 * has no openvswitch module). Stopped by the PIDs in their pidfiles.
 *
 * What the userspace datapath creates in the kernel: `ovs-netdev` (the datapath's tap) and one tap
 * device per internal port (the bridge's own port too); system ports stay ordinary devices without
 * a master (ovs-vswitchd reads them with AF_PACKET sockets); tunnel ports have no kernel device.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runOk } from '../../../src/kernel/exec.js';
import { nsRunOk } from '../../../src/lab/netns.js';

export const OVS_TOOLS = ['ovsdb-tool', 'ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl'];
const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface OvsLab {
  dir: string;
  /** unix:DIR/db.sock */
  db: string;
  /** Environment that points OVS tools and offloadctl at this OVS (OVS_RUNDIR …). */
  env: Record<string, string>;
  /** ovs-vsctl against this database (waits for ovs-vswitchd to apply the change). */
  vsctl(...args: string[]): Promise<string>;
  /** `ovs-vsctl --format=json list TABLE` as rows keyed by column (the oracle). */
  list(table: string, columns: string[]): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

export function ovsMissing(): string | false {
  if (!existsSync(SCHEMA)) return `needs ${SCHEMA} (openvswitch-common; scripts/test-deps.d/ovs.list)`;
  for (const t of OVS_TOOLS) {
    if (!['/usr/bin/', '/usr/sbin/', '/sbin/'].some((d) => existsSync(d + t)))
      return `needs ${t} (openvswitch-switch; scripts/test-deps.d/ovs.list)`;
  }
  return false;
}

export async function startOvs(ns: string): Promise<OvsLab> {
  const dir = mkdtempSync(join(tmpdir(), 'offloadctl-ovs-'));
  const env = { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
  const db = `unix:${join(dir, 'db.sock')}`;
  const pids: number[] = [];
  const lab: OvsLab = {
    dir,
    db,
    env,
    vsctl: (...args) =>
      runOk(['ovs-vsctl', `--db=${db}`, '--timeout=30', ...args], { env: { ...process.env, ...env } }),
    async list(table, columns) {
      const out = await lab.vsctl('--format=json', `--columns=${columns.join(',')}`, 'list', table);
      const t = JSON.parse(out) as { headings: string[]; data: unknown[][] };
      return t.data.map((row) => Object.fromEntries(t.headings.map((h, i) => [h, row[i]])));
    },
    async stop() {
      for (const pid of pids.reverse()) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone already */
        }
      }
      // Wait (generously) for them to exit, then make sure.
      for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const opts = { env: { ...process.env, ...env }, timeoutMs: 60_000 };
  try {
    await runOk(['ovsdb-tool', 'create', join(dir, 'conf.db'), SCHEMA], opts);
    for (const [prog, args] of [
      ['ovsdb-server', [join(dir, 'conf.db'), `--remote=punix:${join(dir, 'db.sock')}`]],
      ['ovs-vswitchd', [db]],
    ] as const) {
      await nsRunOk(
        ns,
        [
          prog,
          ...args,
          `--pidfile=${join(dir, prog + '.pid')}`,
          `--unixctl=${join(dir, prog + '.ctl')}`,
          `--log-file=${join(dir, prog + '.log')}`,
          '--detach',
          '--no-chdir',
        ],
        opts,
      );
      pids.push(Number(readFileSync(join(dir, prog + '.pid'), 'utf8').trim()));
      if (prog === 'ovsdb-server') await lab.vsctl('--no-wait', 'init');
    }
  } catch (e) {
    await lab.stop();
    throw e;
  }
  return lab;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `ethtool --json -k` is the feature oracle; helpers/oracle.ts has it. `ip -json link` for kinds. */
export async function kernelKinds(ns: string): Promise<Map<string, string | null>> {
  const r = await run(['ip', '-n', ns, '-json', '-d', 'link', 'show']);
  const links = JSON.parse(r.stdout) as { ifname: string; linkinfo?: { info_kind?: string } }[];
  return new Map(links.map((l) => [l.ifname, l.linkinfo?.info_kind ?? null]));
}
