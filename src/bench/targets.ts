import { randomBytes } from 'node:crypto';
import { release as kernelRelease, cpus } from 'node:os';
import { OffloadError } from '../model/errors.js';
import { labDown, labStatus, labUp, type LabStatus } from '../lab/lab.js';
import { startIperfServer, type ServerHandle } from '../lab/iperf.js';
import { startRrServer } from '../lab/rr.js';
import type { BenchEnvironment, TestName } from './types.js';

/**
 * Where the traffic runs. A target says which namespace the profiles are applied to, where the
 * client runs and where the servers listen, and how to take it all down again.
 */
export interface BenchTarget {
  environment: BenchEnvironment;
  /** Namespace whose interfaces the profiles change; null = the namespace this process runs in. */
  applyNs: string | null;
  clientNs: string | null;
  serverAddr: string;
  iperfPort: number;
  /** Echo server for rr, or null when the far end has none. */
  rrPort: number | null;
  /** Tests this target cannot run, with the reason. */
  unsupported: Partial<Record<TestName, string>>;
  teardown(): Promise<void>;
}

export const IPERF_PORT = 5201;
export const RR_PORT = 7007;

function baseEnv(lab: BenchEnvironment['lab'], path: string, appliedIn: string): BenchEnvironment {
  return { lab, path, appliedIn, kernel: kernelRelease(), cpus: cpus().length, notes: [] };
}

/** A fresh lab name for this run (lab names: ≤ 24 characters). */
export function tempLabName(): string {
  return `bench${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
}

interface LabHandle {
  status: LabStatus;
  owned: boolean;
  down(): Promise<void>;
}

async function openLab(name: string | undefined, log: (m: string) => void): Promise<LabHandle> {
  if (name) {
    const status = await labStatus(name);
    if (status.state !== 'up')
      throw new OffloadError('input', `lab ${name} is ${status.state}; run: offloadctl lab up --name ${name}`);
    return { status, owned: false, down: async () => {} };
  }
  const temp = tempLabName();
  log(`bench: bringing up a temporary netns lab ${temp}`);
  const { status } = await labUp(temp, 4);
  return { status, owned: true, down: async () => void (await labDown(temp)) };
}

async function stopAll(servers: ServerHandle[]): Promise<void> {
  await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
}

/** Two guest namespaces behind veth ports on the lab's br0: guest → vif → br0 → vif → guest. */
export async function netnsLabTarget(o: { labName?: string; log?: (m: string) => void }): Promise<BenchTarget> {
  const log = o.log ?? (() => {});
  const lab = await openLab(o.labName, log);
  const servers: ServerHandle[] = [];
  try {
    const [a, b] = lab.status.guests;
    if (!a || !b)
      throw new OffloadError(
        'input',
        `lab ${lab.status.name} has fewer than 2 guest namespaces (lab up --ports 3 or more)`,
      );
    servers.push(await startIperfServer(b.ns, IPERF_PORT, b.ip));
    servers.push(await startRrServer(b.ns, RR_PORT, b.ip));
    const env = baseEnv(
      'netns',
      `${a.ns} (${a.ip}) → ${a.port} → ${lab.status.bridge} → ${b.port} → ${b.ns} (${b.ip})`,
      lab.status.hypervisor,
    );
    env.notes.push(`lab ${lab.status.name}${lab.owned ? ' (temporary, removed afterwards)' : ''}`);
    return {
      environment: env,
      applyNs: lab.status.hypervisor,
      clientNs: a.ns,
      serverAddr: b.ip,
      iperfPort: IPERF_PORT,
      rrPort: RR_PORT,
      unsupported: {},
      async teardown() {
        await stopAll(servers);
        await lab.down();
      },
    };
  } catch (e) {
    await stopAll(servers);
    await lab.down().catch(() => undefined);
    throw e;
  }
}

/**
 * A QEMU guest with virtio-net on one of the lab's taps (the advice's scenario), traffic from a
 * guest namespace across br0 into the VM.
 */
export async function vmLabTarget(o: {
  labName?: string;
  accel?: 'auto' | 'kvm' | 'tcg';
  log?: (m: string) => void;
}): Promise<BenchTarget> {
  const log = o.log ?? (() => {});
  const { buildGuest, GUEST_ECHO_PORT, GUEST_IPERF_PORT } = await import('../lab/vm/build-guest.js');
  const { startVm } = await import('../lab/vm/qemu.js');
  const image = await buildGuest({ log });
  const lab = await openLab(o.labName, log);
  try {
    const tap = lab.status.ports.find((p) => p.kind === 'tap');
    const client = lab.status.guests[0];
    if (!tap || !client)
      throw new OffloadError(
        'input',
        `lab ${lab.status.name} needs a tap port and a guest namespace (lab up --ports 2 or more)`,
      );
    // An address outside the lab's guest range 10.77.1.x, inside its /16.
    const vmIp = '10.77.2.1';
    log(`bench: booting a guest on ${tap.name} (probing KVM, falling back to TCG)`);
    const vm = await startVm({
      ns: lab.status.hypervisor,
      tap: tap.name,
      mac: tap.vm.mac,
      address: `${vmIp}/16`,
      image,
      accel: o.accel ?? 'auto',
      log,
    });
    const env = baseEnv(
      'vm',
      `${client.ns} (${client.ip}) → ${client.port} → ${lab.status.bridge} → ${tap.name} (tap) → virtio-net guest (${vmIp})`,
      lab.status.hypervisor,
    );
    env.accelerator = vm.accel;
    env.notes.push(
      `guest ${image.kernelPackage}, booted in ${(vm.bootMs / 1000).toFixed(1)} s with ${vm.accel.toUpperCase()}`,
    );
    if (vm.accel === 'tcg')
      env.notes.push(
        'TCG emulates the guest CPU: these figures compare only with other TCG runs, not with KVM or bare metal',
      );
    env.notes.push(`lab ${lab.status.name}${lab.owned ? ' (temporary, removed afterwards)' : ''}`);
    return {
      environment: env,
      applyNs: lab.status.hypervisor,
      clientNs: client.ns,
      serverAddr: vmIp,
      iperfPort: GUEST_IPERF_PORT,
      rrPort: GUEST_ECHO_PORT,
      unsupported: {},
      async teardown() {
        await vm.stop();
        await lab.down();
      },
    };
  } catch (e) {
    await lab.down().catch(() => undefined);
    throw e;
  }
}

/**
 * An iperf3 server the operator runs elsewhere (a real guest or a peer). The client runs here and
 * the profiles change only this namespace's interfaces.
 */
export function serverTarget(o: { server: string; port?: number; rrPort?: number }): BenchTarget {
  const env = baseEnv('server', `this host → ${o.server}`, process.env.OFFLOADCTL_NETNS ?? '');
  return {
    environment: env,
    applyNs: null,
    clientNs: null,
    serverAddr: o.server,
    iperfPort: o.port ?? IPERF_PORT,
    rrPort: o.rrPort ?? null,
    unsupported: o.rrPort ? {} : { rr: 'needs an echo server on the far end (--rr-port PORT)' },
    async teardown() {},
  };
}
