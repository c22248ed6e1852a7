import { accessSync, constants, realpathSync } from 'node:fs';
import type { Server } from 'node:http';
import { OffloadError } from '../model/errors.js';
import { monitorPlacement } from '../kernel/monitor/placement.js';
import { DEFAULT_LIBVIRT_DIR, DEFAULT_PROXMOX_DIR } from '../host/vm-reader.js';
import type { GlobalOptions } from '../model/global-options.js';
import type { AgentCliOptions } from './options.js';
import { toOffloadError } from '../kernel/offload-error.js';
import { loadPolicy } from '../policy/index.js';
import { globProblem } from '../policy/select.js';
import { checkListenAllowed, parseListen } from './listen.js';
import { readTokenFile } from './token.js';
import { checkNetnsName, installUnit, renderUnit, unitName, unitStateDirectory } from './unit.js';
import { ownNetns } from '../kernel/reexec.js';
import { unitExecPath } from './exec-path.js';
import { bufferedStderr, jsonLogger } from './log.js';
import { rateLimitedLog } from './rate-limit.js';
import { parsePolicyInChild } from './policy-reload.js';
import type { AgentMetrics } from './metrics.js';
import { formatScheduling, ownScheduling } from '../kernel/scheduling.js';
import { parseDuration } from '../model/duration.js';

function intOpt(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new OffloadError('usage', `${name} ${v}: expected an integer ≥ ${min}`);
  return n;
}

/** The agent's arguments as they go into the unit's ExecStart. */
function unitArgs(o: AgentCliOptions, netns: string | null): string[] {
  const a: string[] = [];
  if (o.policy) a.push('--policy', realpathOr(o.policy));
  if (o.profile) a.push('--profile', o.profile);
  a.push('--mode', o.mode, '--listen', o.listen);
  if (o.allowRemote) a.push('--allow-remote');
  if (o.logLevel !== 'info') a.push('--log-level', o.logLevel);
  if (o.windowMs !== '0') a.push('--window-ms', o.windowMs);
  if (o.resyncInterval !== '600') a.push('--resync-interval', o.resyncInterval);
  if (o.recordInterval !== '5s') a.push('--record-interval', o.recordInterval);
  if (o.recordRetention !== '1h') a.push('--record-retention', o.recordRetention);
  if (o.recordTop !== '20') a.push('--record-top', o.recordTop);
  if (o.libvirtDir && o.libvirtDir !== DEFAULT_LIBVIRT_DIR) a.push('--libvirt-dir', realpathOr(o.libvirtDir));
  if (o.proxmoxDir && o.proxmoxDir !== DEFAULT_PROXMOX_DIR) a.push('--proxmox-dir', realpathOr(o.proxmoxDir));
  if (o.benchDir) a.push('--bench-dir', realpathOr(o.benchDir));
  a.push(...metricsArgs(o));
  a.push('--state-dir', `/var/lib/${unitStateDirectory(netns ?? undefined)}`);
  return a;
}

function metricsArgs(o: AgentCliOptions): string[] {
  const a: string[] = [];
  if (o.metricsFeatures && o.metricsFeatures !== 'policy') a.push('--metrics-features', o.metricsFeatures);
  for (const g of o.metricsInclude ?? []) a.push('--metrics-include', g);
  for (const g of o.metricsExclude ?? []) a.push('--metrics-exclude', g);
  for (const r of o.metricsRole ?? []) a.push('--metrics-role', r);
  for (const r of o.metricsExcludeRole ?? []) a.push('--metrics-exclude-role', r);
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
  const recordIntervalMs = parseDuration(o.recordInterval) * 1000;
  const recordRetentionMs = parseDuration(o.recordRetention) * 1000;
  const recordTop = intOpt('--record-top', o.recordTop, 0);
  if (recordIntervalMs > 0 && recordIntervalMs < 100)
    throw new OffloadError('usage', '--record-interval: at least 100ms (or 0: off)');
  const resyncS = intOpt('--resync-interval', o.resyncInterval, 0);
  if (o.policy && o.profile) throw new OffloadError('usage', 'give --policy or --profile, not both');
  // --install-unit only names the token file (systemd's LoadCredential reads it at start-up)
  let token: string | null = o.tokenFile && !o.installUnit ? readTokenFile(o.tokenFile) : null;
  checkListenAllowed(addr, !!o.allowRemote, token !== null || (!!o.installUnit && !!o.tokenFile));
  for (const [opt, globs] of [
    ['--metrics-include', o.metricsInclude],
    ['--metrics-exclude', o.metricsExclude],
  ] as const) {
    for (const glob of globs ?? []) {
      const problem = globProblem(glob);
      if (problem) throw new OffloadError('usage', `invalid ${opt} "${glob}": ${problem}`);
    }
  }
  const load = () => loadPolicy({ profile: o.profile, file: o.policy });
  const policy = load(); // a bad policy: OffloadError 'input' → exit 2

  if (o.installUnit) {
    const execPath = unitExecPath(o.execPath, process.argv[1]);
    // `offloadctl --netns NS agent --install-unit` runs here inside NS: the unit must join NS too
    // (or `ip netns exec NS offloadctl agent --install-unit`); in an unnamed namespace: refuse
    const own = ownNetns();
    if (!own.host && own.name === null)
      throw new OffloadError(
        'usage',
        '--install-unit: this process is in a network namespace with no name under /run/netns: the unit could not join it (use `ip netns add`, then --netns NAME)',
      );
    const netns = own.host ? null : own.name;
    const bad = netns ? checkNetnsName(netns) : null;
    if (bad) throw new OffloadError('usage', `--install-unit: ${bad}`);
    const text = renderUnit({
      execPath,
      args: unitArgs(o, netns),
      tokenSource: o.tokenFile ? realpathOr(o.tokenFile) : undefined,
      realtime: o.scheduling !== 'normal',
      netns: netns ?? undefined,
    });
    const name = unitName(netns ?? undefined);
    const path = installUnit(o.root, text, name);
    process.stdout.write(
      `wrote ${path}\nthen: systemctl daemon-reload && systemctl enable --now ${name.replace(/\.service$/, '')}\n`,
    );
    return 0;
  }

  const logger = jsonLogger(bufferedStderr(), o.logLevel);
  warnUnreadableVmRecords(policy, o, logger);
  const [
    { openKernel },
    { openMonitor },
    { Agent, apiOf },
    { startHttp },
    { fileJournal },
    { AgentMetrics },
    { FirstChangeRecord },
  ] = await Promise.all([
    import('../kernel/index.js'),
    import('../kernel/monitor/netlink-monitor.js'),
    import('./agent.js'),
    import('./http.js'),
    import('./journal.js'),
    import('./metrics.js'),
    import('../apply/first-change-record.js'),
  ]);
  const metrics = new AgentMetrics({
    selection: {
      features: o.metricsFeatures ?? 'policy',
      includeInterfaces: o.metricsInclude ?? [],
      excludeInterfaces: o.metricsExclude ?? [],
      includeRoles: o.metricsRole ?? [],
      excludeRoles: o.metricsExcludeRole ?? [],
    },
  });
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

  const metricsRef: { current: AgentMetrics | null } = { current: null };
  const journalErrors = rateLimitedLog(
    (f) => logger.log('error', 'journal write failed; enforcing without the record', f),
    (count, ms) =>
      logger.log('error', 'journal write failures not logged', { suppressed: count, intervalSeconds: ms / 1000 }),
  );
  let journal;
  let firstChanges;
  try {
    journal = fileJournal(o.stateDir, {
      onError: (e, lost) => {
        metricsRef.current?.journalWriteError(e.code ?? 'other');
        journalErrors.log({ error: e.code ?? e.message, lostEntries: lost });
      },
    });
    firstChanges = new FirstChangeRecord(o.stateDir);
  } catch (e) {
    kernel.close();
    monitor.close();
    throw new OffloadError(
      'system',
      `--state-dir ${o.stateDir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const scheduling = ownScheduling();
  const agent = new Agent({
    kernel,
    monitor,
    policy,
    mode: o.mode,
    logger,
    // a reload of a file is parsed in a child process: enforcement goes on meanwhile
    loadPolicy: o.policy && process.argv[1] ? () => parsePolicyInChild(o.policy!, { self: process.argv[1]! }) : load,
    windowMs,
    resyncIntervalMs: resyncS * 1000,
    journal,
    metrics,
    firstChanges,
    vmSources: { libvirtDir: o.libvirtDir, proxmoxDir: o.proxmoxDir },
    scheduling: scheduling ? formatScheduling(scheduling) : undefined,
    onFatal: (e) => {
      logger.log('error', 'monitor failed', { error: e.message });
      void stopRef.current?.('monitor-error', 3);
    },
  });
  const stopRef: { current: ((signal: string, code: number) => Promise<void>) | null } = { current: null };
  let recorder: import('./effect-recorder.js').AgentRecorder | null = null;
  if (recordIntervalMs > 0) {
    const { AgentRecorder } = await import('./effect-recorder.js');
    recorder = new AgentRecorder({
      intervalMs: recordIntervalMs,
      retentionMs: recordRetentionMs,
      netns: g.netns ?? process.env.OFFLOADCTL_NETNS ?? null,
      topInterfaces: recordTop,
    });
    recorder.registerMetrics(agent.metrics.registry);
    recorder.start(agent.events);
  }
  metricsRef.current = agent.metrics;

  // anyone who can connect can cause these: at most 10 lines a minute, then one "suppressed" line
  const denied = rateLimitedLog(
    (f) => logger.log('warn', 'unauthorized API call', f),
    (count, ms) =>
      logger.log('warn', 'unauthorized API calls not logged', { suppressed: count, intervalSeconds: ms / 1000 }),
  );
  const onDenied = (method: string, path: string, remote: string | undefined) => denied.log({ method, path, remote });
  // the page (src/ui/server): GET / and its API, beside the agent's own routes
  const ui = await (await import('../ui/server/agent-ui.js')).agentUi(agent, {
    token: () => token,
    onDenied,
    backend: g.backend ?? 'auto',
    stateDir: o.stateDir,
    benchDir: o.benchDir,
    loopback: addr.loopback,
  });
  let server: Server;
  try {
    server = await startHttp(apiOf(agent, recorder), {
      host: addr.host,
      port: addr.port,
      token: () => token,
      onDenied,
      onError: (e) => logger.log('error', 'HTTP request failed', { error: e.message }),
      ui: ui.handle,
    });
  } catch (e) {
    kernel.close();
    monitor.close();
    throw new OffloadError(
      'system',
      `--listen ${o.listen}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  server.on('error', (e) => logger.log('error', 'HTTP server error', { error: e.message }));
  const bound = server.address();
  logger.log('info', 'listening', {
    address: typeof bound === 'object' && bound ? `${bound.address}:${bound.port}` : o.listen,
  });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string, code: number) => {
      if (stopping) return;
      stopping = true;
      logger.log('info', 'stopping', { signal });
      process.off('SIGHUP', onHup);
      recorder?.stop();
      await agent.stop();
      ui.close();
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

/**
 * A policy that selects by VM platform needs the VM records; under a unit that restricts it (or another user) the agent
 * cannot read root-only ones (the unit's comments, docs/unattended.md). Say so once at start-up
 * instead of silently matching by name only.
 */
function warnUnreadableVmRecords(
  policy: import('../model/types.js').Policy,
  o: AgentCliOptions,
  logger: { log(level: 'warn', msg: string, f?: Record<string, unknown>): void },
): void {
  if (!policy.rules.some((r) => r.select.vmPlatform || r.exclude?.vmPlatform)) return;
  for (const [opt, dir] of [
    ['--libvirt-dir', o.libvirtDir],
    ['--proxmox-dir', o.proxmoxDir],
  ] as const) {
    try {
      accessSync(dir, constants.R_OK | constants.X_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue; // not this platform
      logger.log('warn', 'cannot read VM records: VM ports are matched by name only', {
        option: opt,
        dir,
        error: code ?? String(e),
        uid: process.getuid?.(),
      });
    }
  }
}
