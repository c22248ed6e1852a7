/**
 * Shared by the persist-* netns tests (not a test file): run real consumers (udevadm, ifupdown
 * hooks, the libvirt hook) inside a test namespace, with the rendered ROOT/etc overlaid on /etc in a
 * private mount namespace — the machine's own /etc, /run and /var/lib are never written (tmpfs over
 * /run and /var/lib inside that mount namespace). The built CLI: ./helpers/cli.ts; the oracle:
 * ./helpers/oracle.ts.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { run, type ExecResult } from '../../src/kernel/exec.js';
import { isTsoGso, type Features } from './helpers/oracle.js';

const MOUNTS =
  'mount --make-rprivate / && mount -t overlay overlay -o "lowerdir=$1/etc:/etc" /etc && ' +
  'mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib && shift && exec "$@"';

/**
 * argv inside namespace ns, in a private mount namespace where ROOT/etc lies over /etc (the way the
 * files would be installed) and /run, /var/lib are private tmpfs (udevadm and offloadctl apply
 * write there). kernel-facts.md: "Testing rendered configuration with the real consumer".
 */
export function inRoot(
  ns: string,
  root: string,
  argv: readonly string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ExecResult> {
  return run(['ip', 'netns', 'exec', ns, 'unshare', '-m', 'sh', '-c', MOUNTS, 'sh', root, ...argv], {
    input: opts.input,
    env: opts.env ?? process.env,
    timeoutMs: 120_000,
  });
}

/** Changeable TSO/GSO bits that are still requested on (empty when `tso off gso off` holds). */
export function tsoGsoStillOn(f: Features): string[] {
  return Object.entries(f)
    .filter(([k, v]) => isTsoGso(k) && !v.fixed && (v.requested || v.active))
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
