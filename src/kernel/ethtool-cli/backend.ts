/**
 * KernelBackend over the `ethtool` and `ip` programs, for kernels without ethtool netlink (or when
 * asked with --backend ethtool). Same results as the netlink backend (a netns test proves it), slower:
 * one process per call. Programs get argv arrays, never a shell string.
 */
import type { DriverInfo, FeatureMap, LinkInfo } from '../../model/types.js';
import { driverInfoFor } from '../driver-info.js';
import { run, type ExecResult } from '../exec.js';
import { KernelError, type KernelBackend, type SetFeaturesResult } from '../types.js';
import { parseEthtoolFeatures } from './parse-features.js';
import { parseIpLinks } from './parse-links.js';

/** Parallel ethtool processes when a one-shot dump ('*') is not available. */
const LOOP_CONCURRENCY = 8;

export class EthtoolCliBackend implements KernelBackend {
  readonly name = 'ethtool' as const;
  private names: string[] | null = null;
  private starSupported: boolean | null = null;

  constructor(
    private readonly ethtool = 'ethtool',
    private readonly ip = 'ip',
  ) {}

  async listLinks(): Promise<LinkInfo[]> {
    const r = await this.exec([this.ip, '-json', '-d', 'link', 'show'], 'ip link show');
    return parseIpLinks(r.stdout);
  }

  async dumpFeatures(): Promise<Map<number, FeatureMap>> {
    const links = await this.listLinks();
    const index = new Map(links.map((l) => [l.name, l.ifindex]));
    const out = new Map<number, FeatureMap>();
    if (this.starSupported !== false) {
      // ethtool 6.1+ with netlink: '*' dumps every device in one request (nl_gfeatures → dump).
      const r = await this.tryRun([this.ethtool, '--json', '-k', '*'], 'ethtool -k *');
      if (r.code === 0 && r.stdout.trim().startsWith('[')) {
        this.starSupported = true;
        for (const d of parseEthtoolFeatures(r.stdout)) {
          const i = index.get(d.ifname);
          if (i !== undefined) out.set(i, d.features);
        }
        return out;
      }
      this.starSupported = false;
    }
    let next = 0;
    const worker = async () => {
      while (next < links.length) {
        const l = links[next++]!;
        try {
          out.set(l.ifindex, await this.getFeatures(l.name));
        } catch (e) {
          // gone between the link list and the lookup: a dump does not list it either
          if (!(e instanceof KernelError && e.code === 'not-found')) throw e;
        }
      }
    };
    await Promise.all(Array.from({ length: LOOP_CONCURRENCY }, worker));
    return new Map(links.filter((l) => out.has(l.ifindex)).map((l) => [l.ifindex, out.get(l.ifindex)!]));
  }

  async getFeatures(ifname: string): Promise<FeatureMap> {
    checkName(ifname);
    const r = await this.exec([this.ethtool, '--json', '-k', ifname], `ethtool -k ${ifname}`, ifname);
    const devs = parseEthtoolFeatures(r.stdout);
    const d = devs[0];
    if (!d) throw new KernelError('not-found', `no such device: ${ifname}`, { ifname });
    if (!this.names) this.names = d.order;
    return d.features;
  }

  async setFeatures(ifname: string, changes: Record<string, boolean>): Promise<SetFeaturesResult> {
    checkName(ifname);
    const before = await this.getFeatures(ifname);
    const unknown = Object.keys(changes).filter((n) => !(n in before));
    if (unknown.length) {
      throw new KernelError(
        'not-supported',
        `${ifname}: unknown feature ${unknown.join(', ')} (not in this kernel's feature list)`,
        { ifname },
      );
    }
    const notApplied = new Set<string>();
    const argv: string[] = [];
    for (const [name, on] of Object.entries(changes)) {
      const st = before[name]!;
      if (st.fixed) {
        if (st.active !== on) notApplied.add(name);
        continue;
      }
      argv.push(name, on ? 'on' : 'off');
    }
    if (argv.length) {
      const r = await this.tryRun([this.ethtool, '-K', ifname, ...argv], `ethtool -K ${ifname}`);
      // exit 1 "Could not change any device features": nothing changed (e.g. a tap whose owner never
      // enabled the bit): not an error for us, the comparison below reports it.
      if (r.code !== 0 && !(r.code === 1 && /Could not change any device features/.test(r.stderr))) {
        throw cliError(r, `ethtool -K ${ifname}`, ifname);
      }
      const after = await this.getFeatures(ifname);
      for (const [name, on] of Object.entries(changes)) {
        const st = after[name];
        if (!st || st.active !== on) notApplied.add(name);
      }
    }
    return { ifname, notApplied: [...notApplied] };
  }

  async driverInfo(ifname: string): Promise<DriverInfo> {
    checkName(ifname);
    const r = await this.tryRun([this.ethtool, '-i', ifname], `ethtool -i ${ifname}`);
    if (r.code !== 0) {
      // "Cannot get driver information: Operation not supported" (lo, kinds without get_drvinfo)
      if (/Operation not supported/i.test(r.stderr)) return { driver: null, busInfo: null };
      throw cliError(r, `ethtool -i ${ifname}`, ifname);
    }
    const field = (k: string): string | null => {
      const m = new RegExp(`^${k}:[ \\t]*(.*)$`, 'm').exec(r.stdout);
      const v = m?.[1]?.trim();
      return v ? v : null;
    };
    return { driver: field('driver'), busInfo: field('bus-info') };
  }

  /**
   * Driver info of many links without one `ethtool -i` process each: sysfs and the software
   * drivers' names (driver-info.ts), which agree with `ethtool -i` (netns test).
   */
  async dumpDriverInfo(links?: LinkInfo[]): Promise<Map<number, DriverInfo>> {
    const ls = links ?? (await this.listLinks());
    return new Map(ls.map((l) => [l.ifindex, driverInfoFor(l)]));
  }

  /** Kernel names in ethtool's print order (ethtool does not show bit indices). */
  async featureNames(): Promise<string[]> {
    if (!this.names) {
      const links = await this.listLinks();
      const lo = links.find((l) => l.name === 'lo') ?? links[0];
      if (!lo) return [];
      await this.getFeatures(lo.name);
    }
    return [...(this.names ?? [])];
  }

  close(): void {
    /* no resources held */
  }

  /** run(), with "cannot start the program" as KernelError('not-supported'). */
  private async tryRun(argv: string[], what: string): Promise<ExecResult> {
    try {
      return await run(argv);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new KernelError(
        'not-supported',
        `${what}: cannot run ${argv[0]} (${code ?? (e as Error).message}); install it (Debian: ethtool, iproute2)`,
      );
    }
  }

  /** tryRun(), with a non-zero exit as the matching KernelError. */
  private async exec(argv: string[], what: string, ifname?: string): Promise<ExecResult> {
    const r = await this.tryRun(argv, what);
    if (r.code !== 0) throw cliError(r, what, ifname);
    return r;
  }
}

/** Map ethtool/ip failures to KernelError codes by their messages (exit codes are coarse: 1, 92, 255). */
export function cliError(r: ExecResult, what: string, ifname?: string): KernelError {
  const text = (r.stderr || r.stdout).trim();
  const first = text.split('\n').find((l) => /error|cannot|not|denied|such/i.test(l)) ?? text.split('\n')[0] ?? '';
  if (/No such device|no device matches name|does not exist|Cannot find device/i.test(text)) {
    return new KernelError('not-found', ifname ? `no such device: ${ifname}` : `${what}: ${first}`, {
      errno: 19,
      ifname,
    });
  }
  if (/Operation not permitted|Permission denied/i.test(text)) {
    return new KernelError('permission-denied', `${what}: permission denied (needs CAP_NET_ADMIN, run as root)`, {
      errno: 1,
      ifname,
    });
  }
  if (/bit name not found|Operation not supported|unknown|invalid feature/i.test(text)) {
    return new KernelError('not-supported', `${what}: ${first}`, { errno: 95, ifname });
  }
  if (/Invalid argument/i.test(text)) return new KernelError('invalid', `${what}: ${first}`, { errno: 22, ifname });
  if (/busy|again/i.test(text)) return new KernelError('busy', `${what}: ${first}`, { ifname });
  return new KernelError('io', `${what} exited ${r.code}: ${first}`, { ifname });
}

function checkName(ifname: string): void {
  if (!ifname || Buffer.byteLength(ifname) > 15 || ifname.includes('/') || /\s/.test(ifname) || ifname === '*') {
    throw new KernelError('not-found', `no such device: ${JSON.stringify(ifname)} (not a valid interface name)`, {
      ifname,
    });
  }
}
