/**
 * Shared by the persist-* netns tests (not a test file): run the built CLI and real consumers
 * (udevadm, ifupdown hooks, the libvirt hook) inside a test namespace, with the rendered ROOT/etc
 * overlaid on /etc in a private mount namespace — the machine's own /etc, /run and /var/lib are
 * never written (tmpfs over /run and /var/lib inside that mount namespace).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type ExecResult } from '../../src/kernel/exec.js';
import { nsRunOk } from '../../src/lab/netns.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = REPO + 'bin/offloadctl';

export function skipReason(...tools: string[]): string | false {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces and mount namespaces';
  if (!existsSync(REPO + 'dist/main.js')) return 'needs the built CLI (npm run build; scripts/test.sh does it)';
  for (const t of tools) {
    const found = ['/usr/bin/', '/usr/sbin/', '/bin/', '/sbin/'].some((d) => existsSync(d + t)) || existsSync(t);
    if (!found) return `needs ${t} (scripts/install-deps.sh installs it)`;
  }
  return false;
}

export function tmpRoot(tag: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `olc-${tag}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The built CLI in namespace ns. */
export function cli(ns: string, args: readonly string[]): Promise<ExecResult> {
  return run(['ip', 'netns', 'exec', ns, process.execPath, CLI, ...args], {
    env: { ...process.env, OFFLOADCTL_NETNS: ns },
    timeoutMs: 120_000,
  });
}

const MOUNTS =
  'mount --make-rprivate / && mount -t overlay overlay -o "lowerdir=$1/etc:/etc" /etc && ' +
  'mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib && shift && exec "$@"';

/**
 * argv inside namespace ns, in a private mount namespace where ROOT/etc lies over /etc (the way the
 * files would be installed) and /run, /var/lib are private tmpfs (udevadm and offloadctl apply
 * write there). kernel-facts.md: "Testing rendered configuration with the real consumer".
 */
export function inRoot(ns: string, root: string, argv: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
  return run(['ip', 'netns', 'exec', ns, 'unshare', '-m', 'sh', '-c', MOUNTS, 'sh', root, ...argv], {
    input: opts.input,
    env: opts.env ?? process.env,
    timeoutMs: 120_000,
  });
}

const LEGACY: Record<string, string> = {
  'rx-checksumming': 'rx-checksum',
  'generic-segmentation-offload': 'tx-generic-segmentation',
  'generic-receive-offload': 'rx-gro',
  'large-receive-offload': 'rx-lro',
};

export type Features = Record<string, { active: boolean; requested: boolean; fixed: boolean }>;

/** The oracle: `ethtool --json -k IFACE` in the namespace, kernel names, aggregates dropped. */
export async function oracle(ns: string, ifname: string): Promise<Features> {
  const [obj] = JSON.parse(await nsRunOk(ns, ['ethtool', '--json', '-k', ifname])) as Record<string, unknown>[];
  const out: Features = {};
  for (const [k, v] of Object.entries(obj ?? {})) {
    if (typeof v !== 'object' || v === null) continue;
    const s = v as { active: boolean; requested: boolean | null; fixed: boolean | null };
    if (s.fixed === null || s.requested === null) continue;
    out[LEGACY[k] ?? k] = { active: s.active, requested: s.requested, fixed: s.fixed };
  }
  return out;
}

/** Changeable TSO/GSO bits that are still requested on (empty when `tso off gso off` holds). */
export function tsoGsoStillOn(f: Features): string[] {
  return Object.entries(f)
    .filter(([k, v]) => (/^tx-tcp.*-segmentation$/.test(k) || k === 'tx-generic-segmentation') && !v.fixed && (v.requested || v.active))
    .map(([k]) => k)
    .sort();
}

const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/**
 * A tap held open like QEMU holds it: TUNSETIFF with IFF_VNET_HDR, then TUNSETOFFLOAD with csum +
 * TSO4 + TSO6, as QEMU does once the guest's virtio driver negotiated them. `reoffload()` repeats
 * the ioctl (a guest driver reload, a migration) to show what it does to features set earlier.
 */
export class QemuLikeTap {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: string[],
  ) {}

  static async open(ns: string, name: string): Promise<QemuLikeTap> {
    const script = `
import fcntl, os, struct, sys
fd = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', sys.argv[1].encode(), 0x0002 | 0x1000 | 0x4000))  # TUNSETIFF IFF_TAP|IFF_NO_PI|IFF_VNET_HDR
def offload():
    fcntl.ioctl(fd, 0x400454d0, 1 | 2 | 4)  # TUNSETOFFLOAD TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6
offload()
print('ready', flush=True)
for line in sys.stdin:
    if line.strip() == 'reoffload':
        offload()
        print('done', flush=True)
`;
    const child = spawn('ip', ['netns', 'exec', ns, PY, '-c', script, name], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const tap = new QemuLikeTap(child, lines);
    child.stdout.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
    await tap.waitFor('ready');
    return tap;
  }

  private async waitFor(word: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const at = this.lines.indexOf(word);
      if (at >= 0) {
        this.lines.splice(at, 1);
        return;
      }
      if (this.child.exitCode !== null) throw new Error(`tap helper exited ${this.child.exitCode}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`tap helper: no "${word}"`);
  }

  async reoffload(): Promise<void> {
    this.child.stdin.write('reoffload\n');
    await this.waitFor('done');
  }

  /** Close the fd: the (non-persistent) tap disappears. Ends only the helper this test started. */
  close(): void {
    this.child.stdin.end();
    if (this.child.exitCode === null && this.child.pid) this.child.kill('SIGTERM');
  }
}
