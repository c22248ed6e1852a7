import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OffloadError } from '../model/errors.js';
import { createNetns, deleteNetns, ipBatch, listNetns, releaseNetns } from './netns.js';
import {
  hypervisorBatch,
  isLabNamespace,
  libvirtStatusXml,
  planLab,
  proxmoxConf,
  validateLabName,
  type LabPlan,
} from './lab-plan.js';

/**
 * `offloadctl lab up|down|status`: build, remove and describe the simulated KVM host (lab-plan.ts has
 * the topology). Everything is made inside namespaces this code creates; nothing in the root
 * namespace. What was made is recorded in a state file first, so `down` removes exactly that, also
 * after a partial `up`.
 */

export interface LabState extends LabPlan {
  version: 1;
  createdAt: string;
  /** false while `up` is running or after it failed half way. */
  complete: boolean;
  /** Per-lab folder with the simulated VM platform records. */
  dir: string;
  /** libvirt domain status XML of the vnet ports: `status --libvirt-dir` this. */
  libvirtDir: string;
  /** Proxmox VM configs of the tap<vmid>i<n> ports: `status --proxmox-dir` this. */
  proxmoxDir: string;
}

export interface LabStatus {
  name: string;
  /** up: every namespace present and `up` finished; partial: `up` did not finish; broken: namespaces missing. */
  state: 'up' | 'partial' | 'broken';
  hypervisor: string;
  bridge: string;
  bridgeIp: string;
  uplink: { name: string; ns: string; ip: string };
  ports: {
    name: string;
    kind: 'veth' | 'tap';
    scheme: string;
    vnetHdr: boolean;
    guestNs: string | null;
    ip: string | null;
    vm: { id: string; name: string; mac: string };
  }[];
  guests: { ns: string; port: string; ip: string }[];
  namespaces: string[];
  missing: string[];
  libvirtDir: string;
  proxmoxDir: string;
  stateFile: string;
  createdAt: string;
}

/** Where lab state lives: /run/offloadctl/lab (OFFLOADCTL_LAB_DIR overrides, for tests). */
export function labStateRoot(): string {
  return process.env.OFFLOADCTL_LAB_DIR ?? '/run/offloadctl/lab';
}

export function stateFile(name: string): string {
  return join(labStateRoot(), `${name}.json`);
}

export function readLabState(name: string): LabState | null {
  try {
    return JSON.parse(readFileSync(stateFile(name), 'utf8')) as LabState;
  } catch {
    return null;
  }
}

function writeLabState(state: LabState): void {
  mkdirSync(labStateRoot(), { recursive: true });
  const f = stateFile(state.name);
  writeFileSync(`${f}.tmp`, JSON.stringify(state, null, 2) + '\n');
  renameSync(`${f}.tmp`, f);
}

function requireRoot(what: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new OffloadError('permission', `${what} needs root (it creates network namespaces)`);
  }
}

async function inParallel<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export interface LabUpResult {
  status: LabStatus;
  /** false when a complete lab of that name was up already (then nothing changed). */
  created: boolean;
}

export interface LabUpOptions {
  /** Called after each build step ('namespaces', 'links', 'addresses', 'records'); tests inject failures here. */
  onStep?: (step: string) => void | Promise<void>;
}

export async function labUp(name: string, ports?: number, opts: LabUpOptions = {}): Promise<LabUpResult> {
  const step = async (s: string) => opts.onStep?.(s);
  validateLabName(name);
  const plan = planLab(name, ports); // validates --ports before touching anything
  requireRoot('lab up');
  const existing = readLabState(name);
  if (existing) {
    const st = await labStatusOf(existing);
    if (st.state === 'up') return { status: st, created: false };
    await labDown(name); // partial or broken: start over
  } else {
    // Leftovers of a lab whose state file was lost (e.g. /run cleared): remove them.
    for (const ns of await listNetns()) if (isLabNamespace(name, ns)) await deleteNetns(ns);
  }

  const dir = join(labStateRoot(), name);
  const state: LabState = {
    ...plan,
    version: 1,
    createdAt: new Date().toISOString(),
    complete: false,
    dir,
    libvirtDir: join(dir, 'libvirt'),
    proxmoxDir: join(dir, 'qemu-server'),
  };
  writeLabState(state); // before anything exists: `down` can always find what `up` made
  try {
    // createNetns registers each namespace for removal if this process dies mid-way.
    await createNetns(plan.hypervisor);
    await createNetns(plan.upstream);
    await inParallel(plan.namespaces.slice(2), 4, async (ns) => void (await createNetns(ns)));
    await step('namespaces');
    await ipBatch(plan.hypervisor, hypervisorBatch(plan));
    await step('links');
    await ipBatch(plan.upstream, [
      `addr add ${plan.upstreamIp}/${plan.prefixLen} dev ${plan.upstreamIf}`,
      `link set ${plan.upstreamIf} up`,
    ]);
    await inParallel(
      plan.ports.filter((p) => p.guestNs),
      4,
      async (p) =>
        void (await ipBatch(p.guestNs!, [
          `link set ${p.guestIf} address ${p.mac}`,
          `addr add ${p.ip}/${plan.prefixLen} dev ${p.guestIf}`,
          `link set ${p.guestIf} up`,
        ])),
    );
    await step('addresses');
    writePlatformRecords(state);
    await step('records');
    state.complete = true;
    writeLabState(state);
    for (const ns of plan.namespaces) releaseNetns(ns); // they outlive this process now
  } catch (e) {
    await labDown(name).catch(() => undefined);
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new OffloadError('system', `lab up ${name} failed (everything made was removed): ${msg}`);
  }
  return { status: await labStatusOf(state), created: true };
}

function writePlatformRecords(state: LabState): void {
  mkdirSync(state.libvirtDir, { recursive: true });
  mkdirSync(state.proxmoxDir, { recursive: true });
  let domid = 1;
  for (const p of state.ports) {
    if (p.scheme === 'libvirt') {
      writeFileSync(join(state.libvirtDir, `${p.vmName}.xml`), libvirtStatusXml(state, p, domid++));
    } else if (p.scheme === 'proxmox') {
      writeFileSync(join(state.proxmoxDir, `${p.vmId}.conf`), proxmoxConf(state, p));
    }
  }
}

export interface LabDownResult {
  name: string;
  removed: string[];
  /** false when there was no such lab. */
  existed: boolean;
}

/** Remove every namespace of lab `name` (recorded or matching its exact naming), its records and state. */
export async function labDown(name: string): Promise<LabDownResult> {
  validateLabName(name);
  requireRoot('lab down');
  const state = readLabState(name);
  const present = await listNetns();
  const targets = new Set<string>(state?.namespaces ?? []);
  for (const ns of present) if (isLabNamespace(name, ns)) targets.add(ns);
  const removed: string[] = [];
  // The hypervisor first: deleting it destroys the veths whose peers sit in the other namespaces.
  for (const ns of [...targets].sort((a, b) => Number(b.endsWith('-hv')) - Number(a.endsWith('-hv')))) {
    if (!present.includes(ns)) continue;
    await deleteNetns(ns);
    removed.push(ns);
  }
  rmSync(join(labStateRoot(), name), { recursive: true, force: true });
  rmSync(stateFile(name), { force: true });
  return { name, removed, existed: state !== null || removed.length > 0 };
}

export async function labStatus(name: string): Promise<LabStatus> {
  validateLabName(name);
  const state = readLabState(name);
  if (!state) {
    throw new OffloadError('not-found', `no lab named ${name} (start one with: offloadctl lab up --name ${name})`);
  }
  return labStatusOf(state);
}

async function labStatusOf(state: LabState): Promise<LabStatus> {
  const present = new Set(await listNetns());
  const missing = state.namespaces.filter((ns) => !present.has(ns));
  return {
    name: state.name,
    state: !state.complete ? 'partial' : missing.length ? 'broken' : 'up',
    hypervisor: state.hypervisor,
    bridge: state.bridge,
    bridgeIp: state.bridgeIp,
    uplink: { name: state.uplink, ns: state.upstream, ip: state.upstreamIp },
    ports: state.ports.map((p) => ({
      name: p.name,
      kind: p.kind,
      scheme: p.scheme,
      vnetHdr: p.vnetHdr,
      guestNs: p.guestNs,
      ip: p.ip,
      vm: { id: p.vmId, name: p.vmName, mac: p.mac },
    })),
    guests: state.ports.filter((p) => p.guestNs).map((p) => ({ ns: p.guestNs!, port: p.name, ip: p.ip! })),
    namespaces: state.namespaces,
    missing,
    libvirtDir: state.libvirtDir,
    proxmoxDir: state.proxmoxDir,
    stateFile: stateFile(state.name),
    createdAt: state.createdAt,
  };
}

/** Names of every lab with a state file. */
export function listLabs(): string[] {
  try {
    return readdirSync(labStateRoot())
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}
