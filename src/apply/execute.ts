import type { FeatureMap } from '../model/types.js';
import { OffloadError } from '../model/errors.js';
import { KernelError, type KernelBackend } from '../kernel/types.js';

/**
 * How many FEATURES_SET requests are in flight at once. The netlink package aborts the process
 * with ~125+ requests outstanding on one socket (kernel-facts.md); each SET is ~70 µs in the kernel,
 * so a small window already hides the round-trip latency.
 */
export const SET_CONCURRENCY = 32;

/** Interfaces per journal batch: one fsync of the journal per batch. */
export const BATCH_SIZE = 256;

export type SetOutcome =
  | { ifname: string; ok: true; notApplied: string[] }
  | { ifname: string; ok: false; vanished: boolean; error: string; code: string };

/**
 * setFeatures on many interfaces: through the backend's pipelined setFeaturesMany when it has one
 * (unless a concurrency is forced), else setFeatures with bounded concurrency. Never throws for
 * per-interface kernel errors (they become outcomes). A permission error is a system problem, not a per-interface one:
 * it is rethrown as OffloadError('permission') after the in-flight requests settle.
 */
export async function setMany(
  kernel: KernelBackend,
  items: readonly { ifname: string; set: Record<string, boolean> }[],
  opts: { concurrency?: number; onDone?: (o: SetOutcome) => void } = {},
): Promise<SetOutcome[]> {
  if (kernel.setFeaturesMany && !opts.concurrency) {
    // Pipelined, no pre-read, no reply: the caller verifies with one dump afterwards.
    const errors = await kernel.setFeaturesMany(items.map((it) => ({ ifname: it.ifname, changes: it.set })));
    const out = items.map((it, i): SetOutcome => {
      const e = errors[i];
      return e ? failure(it.ifname, e) : { ifname: it.ifname, ok: true, notApplied: [] };
    });
    const denied = errors.find((e) => e?.code === 'permission-denied');
    if (denied)
      throw new OffloadError('permission', `changing features needs CAP_NET_ADMIN (run as root): ${denied.message}`);
    for (const o of out) opts.onDone?.(o);
    return out;
  }
  const limit = Math.max(1, opts.concurrency ?? SET_CONCURRENCY);
  const out: SetOutcome[] = new Array(items.length);
  let next = 0;
  let denied: KernelError | null = null;
  const worker = async () => {
    while (next < items.length && !denied) {
      const i = next++;
      const it = items[i]!;
      let o: SetOutcome;
      try {
        const r = await kernel.setFeatures(it.ifname, it.set);
        o = { ifname: it.ifname, ok: true, notApplied: r.notApplied };
      } catch (e) {
        if (e instanceof KernelError && e.code === 'permission-denied') denied = e;
        o = failure(it.ifname, e);
      }
      out[i] = o;
      opts.onDone?.(o);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (denied) {
    throw new OffloadError(
      'permission',
      `changing features needs CAP_NET_ADMIN (run as root): ${(denied as KernelError).message}`,
    );
  }
  return out;
}

function failure(ifname: string, e: unknown): SetOutcome {
  if (e instanceof KernelError) {
    const msg = e.extack ? `${e.message} (${e.extack})` : e.message;
    return { ifname, ok: false, vanished: e.code === 'not-found', error: msg, code: e.code };
  }
  return { ifname, ok: false, vanished: false, error: (e as Error)?.message ?? String(e), code: 'io' };
}

export interface LiveInterface {
  name: string;
  ifindex: number;
  masterIndex: number | null;
  features: FeatureMap;
}

/** Links plus one features dump: the current state of the namespace, keyed by name. */
export async function readLive(kernel: KernelBackend): Promise<Map<string, LiveInterface>> {
  // both dumps at once: different sockets (rtnetlink, generic netlink), as observeHost does
  const [links, feats] = await Promise.all([kernel.listLinks(), kernel.dumpFeatures()]);
  const out = new Map<string, LiveInterface>();
  for (const l of links) {
    const f = feats.get(l.ifindex);
    if (f) out.set(l.name, { name: l.name, ifindex: l.ifindex, masterIndex: l.masterIndex, features: f });
  }
  return out;
}

/** Split into chunks of n. */
export function chunks<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}
