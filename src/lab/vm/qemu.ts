import { spawn, type ChildProcess } from 'node:child_process';
import { GUEST_READY, type GuestImage } from './build-guest.js';
import { stopChild } from '../child.js';

/**
 * One QEMU guest with a virtio-net NIC on an existing tap (the advice's own scenario: a virtio guest
 * behind a tap on br0). QEMU runs inside the lab's hypervisor namespace (`ip netns exec`), so the tap
 * and all traffic stay there.
 *
 * Accelerator: KVM when a short timed boot succeeds, TCG otherwise. Measured on these machines:
 * /dev/kvm opens but a nested KVM guest hangs or aborts ("failed to set MSR 0x10a" with -cpu host),
 * so the probe fails and TCG boots in ~7 s. TCG emulates the guest CPU: its figures compare only with
 * other TCG figures. There is no /dev/vhost-net here, so QEMU uses its userspace virtio backend
 * (vhost=off), which is what sets the tap's offloads (TUNSETOFFLOAD) from what the guest negotiated.
 */

export type Accel = 'kvm' | 'tcg';

export interface VmOptions {
  /** Hypervisor namespace holding the tap. */
  ns: string;
  tap: string;
  mac: string;
  /** Guest address with prefix, e.g. 10.77.0.50/24. */
  address: string;
  image: GuestImage;
  accel?: Accel | 'auto';
  memMb?: number;
  /** How long a KVM probe boot may take before TCG is tried. */
  kvmProbeMs?: number;
  tcgBootMs?: number;
  log?: (msg: string) => void;
}

export interface RunningVm {
  pid: number;
  accel: Accel;
  bootMs: number;
  /** Address without prefix. */
  ip: string;
  console(): string;
  stop(): Promise<void>;
}

export function qemuArgs(o: VmOptions, accel: Accel): string[] {
  return [
    'qemu-system-x86_64',
    '-accel',
    accel,
    ...(accel === 'kvm' ? ['-cpu', 'host'] : []),
    '-m',
    String(o.memMb ?? 256),
    '-smp',
    '1',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-serial',
    'stdio',
    '-monitor',
    'none',
    '-no-reboot',
    '-kernel',
    o.image.kernel,
    '-initrd',
    o.image.initrd,
    '-append',
    `console=ttyS0 quiet panic=-1 offloadctl.ip=${o.address}`,
    '-netdev',
    `tap,id=n0,ifname=${o.tap},script=no,downscript=no,vhost=off`,
    '-device',
    `virtio-net-pci,netdev=n0,mac=${o.mac}`,
  ];
}

function boot(o: VmOptions, accel: Accel, timeoutMs: number): Promise<RunningVm> {
  const argv = ['ip', 'netns', 'exec', o.ns, ...qemuArgs(o, accel)];
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let settled = false;
    const stop = () => stopChild(child, 3000);
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      void stop().then(() =>
        reject(new Error(`no ready line within ${timeoutMs} ms (${accel}); console: ${tail(out)}`)),
      );
    }, timeoutMs);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (!settled && out.includes(GUEST_READY)) {
        settled = true;
        clearTimeout(timer);
        resolve({
          pid: child.pid ?? -1,
          accel,
          bootMs: Date.now() - t0,
          ip: o.address.split('/')[0]!,
          console: () => out,
          stop,
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, sig) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`qemu (${accel}) exited ${code ?? sig} before the guest was ready: ${tail(out)}`));
    });
  });
}

const tail = (s: string) => s.trim().split('\n').slice(-3).join(' | ') || '(no output)';

/** Boot a guest; with accel 'auto' probe KVM briefly and fall back to TCG (saying so via log). */
export async function startVm(o: VmOptions): Promise<RunningVm> {
  const log = o.log ?? (() => {});
  const want = o.accel ?? 'auto';
  if (want === 'kvm') return boot(o, 'kvm', o.kvmProbeMs ?? 30_000);
  if (want === 'auto') {
    try {
      return await boot(o, 'kvm', o.kvmProbeMs ?? 8000);
    } catch (e) {
      log(`vm: KVM boot failed (${(e as Error).message.slice(0, 160)}); using TCG`);
    }
  }
  return boot(o, 'tcg', o.tcgBootMs ?? 90_000);
}
