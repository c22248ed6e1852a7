/**
 * Runs one KernelBackend call in the network namespace of this process and prints the result as
 * JSON. Netns tests start it with `ip netns exec NS node --import tsx kernel-probe.ts ...`, because
 * a netlink socket talks to the namespace of the process that opens it.
 *
 *   kernel-probe.ts BACKEND backend | links | dump | names | get IF | get-each | dump-drivers | parallel | set-many '[{ifname,changes}]' | set IF '{"rx-gro":false}' | driver IF | drivers
 *   kernel-probe.ts BACKEND channel-set '[{ifname,changes}]'   (the agent's FeatureChannel: all SETs started at once; an unknown name gets a free ifindex)
 *   kernel-probe.ts BACKEND dump-then-get IF     (dump, then wait for a line on stdin, then get IF)
 * Errors print {"error":{code,message,errno,extack}} and exit 1.
 */
import { createInterface } from 'node:readline';
import { openKernel, KernelError } from '../../../src/kernel/index.js';

const [backend, op, ifname, arg] = process.argv.slice(2);

async function main(): Promise<unknown> {
  const k = await openKernel({ backend: backend as 'auto' | 'netlink' | 'ethtool' });
  try {
    switch (op) {
      case 'backend':
        return k.name;
      case 'links':
        return await k.listLinks();
      case 'dump':
        return Object.fromEntries(await k.dumpFeatures());
      case 'names':
        return await k.featureNames();
      case 'get':
        return await k.getFeatures(ifname!);
      case 'set':
        return await k.setFeatures(ifname!, JSON.parse(arg!) as Record<string, boolean>);
      case 'set-many': {
        if (!k.setFeaturesMany)
          return { error: { code: 'exception', message: 'backend has no setFeaturesMany', errno: null, extack: null } };
        const errs = await k.setFeaturesMany(
          JSON.parse(ifname!) as { ifname: string; changes: Record<string, boolean> }[],
        );
        return errs.map((e) => (e ? { code: e.code, message: e.message } : null));
      }
      case 'channel-set': {
        if (!k.openFeatureChannel)
          return { error: { code: 'exception', message: 'backend has no feature channel', errno: null, extack: null } };
        const items = JSON.parse(ifname!) as { ifname: string; changes: Record<string, boolean> }[];
        const index = new Map((await k.listLinks()).map((l) => [l.name, l.ifindex]));
        const ch = await k.openFeatureChannel();
        try {
          // started in one synchronous run: the SETs share datagrams, as a burst's do
          const r = await Promise.allSettled(
            items.map((i) => ch.set({ index: index.get(i.ifname) ?? 0x7ffffff0, name: i.ifname }, i.changes)),
          );
          return r.map((x) =>
            x.status === 'fulfilled'
              ? { notApplied: [...x.value.notApplied], changed: [...x.value.changed] }
              : { code: (x.reason as KernelError).code },
          );
        } finally {
          ch.close();
        }
      }
      case 'driver':
        return await k.driverInfo(ifname!);
      case 'get-each': {
        // getFeatures for every link, one process (keyed by name)
        const out: Record<string, unknown> = {};
        for (const l of await k.listLinks()) out[l.name] = await k.getFeatures(l.name);
        return out;
      }
      case 'drivers': {
        const out: Record<string, unknown> = {};
        for (const l of await k.listLinks()) out[l.name] = await k.driverInfo(l.name);
        return out;
      }
      case 'dump-drivers': {
        const links = await k.listLinks();
        const m = k.dumpDriverInfo ? await k.dumpDriverInfo(links) : new Map();
        return Object.fromEntries(links.map((l) => [l.name, m.get(l.ifindex) ?? null]));
      }
      case 'parallel': {
        // several dumps and lookups at once on one backend (dumps must be serialised per socket)
        const [a, b, links, c] = await Promise.all([
          k.dumpFeatures(),
          k.dumpFeatures(),
          k.listLinks(),
          k.getFeatures('lo'),
        ]);
        return {
          same: JSON.stringify([...a]) === JSON.stringify([...b]),
          links: links.length,
          lo: Object.keys(c).length,
        };
      }
      case 'dump-then-get': {
        const dump = await k.dumpFeatures();
        process.stdout.write(JSON.stringify({ dumped: dump.size }) + '\n');
        const rl = createInterface({ input: process.stdin });
        await new Promise<void>((resolve) => rl.once('line', () => resolve()));
        rl.close();
        return await k.getFeatures(ifname!);
      }
      default:
        throw new Error(`unknown op ${op}`);
    }
  } finally {
    k.close();
  }
}

main().then(
  (r) => {
    process.stdout.write(JSON.stringify(r) + '\n');
  },
  (e: unknown) => {
    const err =
      e instanceof KernelError
        ? { code: e.code, message: e.message, errno: e.errno, extack: e.extack }
        : { code: 'exception', message: String((e as Error)?.stack ?? e), errno: null, extack: null };
    process.stdout.write(JSON.stringify({ error: err }) + '\n');
    process.exitCode = 1;
  },
);
