import { realpathSync } from 'node:fs';
import type { Server } from 'node:http';
import { OffloadError } from '../model/errors.js';
import { monitorPlacement } from '../kernel/monitor/placement.js';
import { DEFAULT_LIBVIRT_DIR, DEFAULT_PROXMOX_DIR } from '../host/vm-reader.js';
import type { GlobalOptions } from '../model/global-options.js';
import type { AgentCliOptions } from './options.js';
import { toOffloadError } from '../kernel/offload-error.js';
import { loadPolicy } from '../policy/index.js';
import { checkListenAllowed, parseListen } from './listen.js';
import { readTokenFile } from './token.js';
import { installUnit, renderUnit } from './unit.js';
import { bufferedStderr, jsonLogger } from './log.js';
import { formatScheduling, ownScheduling } from '../kernel/scheduling.js';

function intOpt(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new OffloadError('usage', `${name} ${v}: expected an integer ≥ ${min}`);
  return n;
}

/** The agent's arguments as they go into the unit's ExecStart. */
function unitArgs(o: AgentCliOptions): string[] {
  const a: string[] = [];
  if (o.policy) a.push('--policy', realpathOr(o.policy));
  if (o.profile) a.push('--profile', o.profile);
  a.push('--mode', o.mode, '--listen', o.listen);
  if (o.allowRemote) a.push('--allow-remote');
  if (o.logLevel !== 'info') a.push('--log-level', o.logLevel);
  if (o.windowMs !== '0') a.push('--window-ms', o.windowMs);
  if (o.resyncInterval !== '600') a.push('--resync-interval', o.resyncInterval);
  if (o.libvirtDir && o.libvirtDir !== DEFAULT_LIBVIRT_DIR) a.push('--libvirt-dir', realpathOr(o.libvirtDir));
  if (o.proxmoxDir && o.proxmoxDir !== DEFAULT_PROXMOX_DIR) a.push('--proxmox-dir', realpathOr(o.proxmoxDir));
  a.push('--state-dir', '/var/lib/offloadctl');
  return a;
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

export async function runAgentCommand(g: GlobalOptions, o: AgentCliOptions): Promise<number> {
  const addr = parseListen(o.listen);
  const windowMs = intOpt('--window-ms', o.windowMs, 0);
  const resyncS = intOpt('--resync-interval', o.resyncInterval, 0);
  if (o.policy && o.profile) throw new OffloadError('usage', 'give --policy or --profile, not both');
  // --install-unit only names the token file (systemd's LoadCredential reads it at start-up)
  let token: string | null = o.tokenFile && !o.installUnit ? readTokenFile(o.tokenFile) : null;
  checkListenAllowed(addr, !!o.allowRemote, token !== null || (!!o.installUnit && !!o.tokenFile));
  const load = () => loadPolicy({ profile: o.profile, file: o.policy });
  const policy = load(); // a bad policy: OffloadError 'input' → exit 2

  if (o.installUnit) {
    const execPath = o.execPath ?? realpathOr(process.argv[1] ?? '/usr/bin/offloadctl');
    const text = renderUnit({ execPath, args: unitArgs(o), tokenSource: o.tokenFile ? realpathOr(o.tokenFile) : undefined, realtime: o.scheduling !== 'normal' });
    const path = installUnit(o.root, text);
    process.stdout.write(`wrote ${path}\nthen: systemctl daemon-reload && systemctl enable --now offloadctl-agent\n`);
    return 0;
  }

  const logger = jsonLogger(bufferedStderr(), o.logLevel);
  const [{ openKernel }, { openMonitor }, { Agent, apiOf }, { startHttp }, { fileJournal }, { FirstChangeRecord }] = await Promise.all([
    import('../kernel/index.js'),
    import('../kernel/monitor/netlink-monitor.js'),
    import('./agent.js'),
    import('./http.js'),
    import('./journal.js'),
    import('../apply/first-change-record.js'),
  ]);
  let kernel;
  let monitor;
  try {
    kernel = await openKernel({ backend: g.backend ?? 'auto' });
    monitor = await openMonitor(monitorPlacement(process.argv[1]));
  } catch (e) {
    kernel?.close();
    throw toOffloadError(e);
  }
  if (!monitor.featureMonitoring)
    logger.log('warn', 'no ethtool netlink monitor group: feature drift is found by the periodic resync only');

  let journal;
  let firstChanges;
  try {
    journal = fileJournal(o.stateDir);
    firstChanges = new FirstChangeRecord(o.stateDir);
  } catch (e) {
    kernel.close();
    monitor.close();
    throw new OffloadError('system', `--state-dir ${o.stateDir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const scheduling = ownScheduling();
  const agent = new Agent({
    kernel,
    monitor,
    policy,
    mode: o.mode,
    logger,
    loadPolicy: load,
    windowMs,
    resyncIntervalMs: resyncS * 1000,
    journal,
    firstChanges,
    vmSources: { libvirtDir: o.libvirtDir, proxmoxDir: o.proxmoxDir },
    scheduling: scheduling ? formatScheduling(scheduling) : undefined,
    onFatal: (e) => {
      logger.log('error', 'monitor failed', { error: e.message });
      void stopRef.current?.('monitor-error', 3);
    },
  });
  const stopRef: { current: ((signal: string, code: number) => Promise<void>) | null } = { current: null };

  let server: Server;
  try {
    server = await startHttp(apiOf(agent), {
      host: addr.host,
      port: addr.port,
      token: () => token,
      onDenied: (method, path, remote) => logger.log('warn', 'unauthorized API call', { method, path, remote }),
    });
  } catch (e) {
    kernel.close();
    monitor.close();
    throw new OffloadError('system', `--listen ${o.listen}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  server.on('error', (e) => logger.log('error', 'HTTP server error', { error: e.message }));
  const bound = server.address();
  logger.log('info', 'listening', { address: typeof bound === 'object' && bound ? `${bound.address}:${bound.port}` : o.listen });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string, code: number) => {
      if (stopping) return;
      stopping = true;
      logger.log('info', 'stopping', { signal });
      process.off('SIGHUP', onHup);
      await agent.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      kernel.close();
      // Anything still holding the loop open after this is a bug; do not hang a systemd stop.
      setTimeout(() => process.exit(code), 2000).unref();
      resolve(code);
    };
    const onHup = () => {
      logger.log('info', 'SIGHUP: reloading policy');
      if (o.tokenFile) {
        try {
          token = readTokenFile(o.tokenFile);
        } catch (e) {
          logger.log('error', 'token file reload failed; keeping the old token', { error: (e as Error).message });
        }
      }
      void agent.reload();
    };
    process.on('SIGHUP', onHup);
    process.once('SIGTERM', () => void stop('SIGTERM', 0));
    process.once('SIGINT', () => void stop('SIGINT', 0));
    stopRef.current = stop;
    agent.start().catch((e) => {
      logger.log('error', 'start-up reconcile failed', { error: (e as Error).message });
      void stop('startup-error', 3);
    });
  });
}
