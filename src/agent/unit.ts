import { mkdirSync } from 'node:fs';
import { writeFileDurable } from '../apply/durable.js';
import { dirname, join } from 'node:path';

export interface UnitOptions {
  /** Absolute path of the offloadctl executable. */
  execPath: string;
  /** Agent arguments after `offloadctl agent` (argv, each quoted for systemd). */
  args: string[];
  /** LoadCredential source of the API token, when a token is used. */
  tokenSource?: string;
  /** SCHED_FIFO priority 1 (default true). */
  realtime?: boolean;
}

export const UNIT_NAME = 'offloadctl-agent.service';

/** systemd command-line quoting: double quotes, with \ and " escaped; % doubled (specifiers). */
function q(arg: string): string {
  const s = arg.replace(/%/g, '%%');
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The systemd unit. Type=simple, not Type=notify: sd_notify needs a datagram on an AF_UNIX
 * socket ($NOTIFY_SOCKET) and Node's dgram module only speaks UDP; the agent is ready within
 * milliseconds of start-up and /healthz tells when the first full reconcile is done.
 * It runs as a dynamic unprivileged user with CAP_NET_ADMIN only (ethtool FEATURES_SET needs it;
 * reading features and subscribing to events needs nothing).
 * MemoryDenyWriteExecute is not set: V8's JIT needs writable+executable pages.
 *
 * Realtime (the default): SCHED_FIFO at the lowest real-time priority, 1. When VMs start in a
 * burst, whatever creates their ports keeps the CPUs busy; in the normal class the agent queues
 * behind it, at SCHED_FIFO 1 it does not (figures: bench/agent-burst.ts, docs/performance.md). The work per event is bounded (one FEATURES_SET per
 * new port, retries back off), and the kernel's RT throttling (sched_rt_runtime_us, 95% by default)
 * still leaves every CPU to others part of each second. systemd applies the policy before it
 * installs RestrictRealtime's filter, so the agent cannot raise itself further; threads and the
 * monitor process it starts inherit the class. --scheduling normal leaves all this out.
 */
export function renderUnit(o: UnitOptions): string {
  // %d: the unit's credentials directory (LoadCredential=), a systemd specifier: not quoted.
  const exec = [o.execPath, 'agent', ...o.args.map(q), ...(o.tokenSource ? ['--token-file', '%d/token'] : [])].join(' ');
  const lines = [
    '# Written by `offloadctl agent --install-unit`.',
    '[Unit]',
    'Description=offloadctl agent: keep NIC offloads as the policy says on every new and changed interface',
    'Documentation=man:ethtool(8)',
    'After=network-pre.target',
    'Wants=network-pre.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${exec}`,
    'ExecReload=/bin/kill -HUP $MAINPID',
    'Restart=on-failure',
    'RestartSec=2s',
    ...(o.realtime !== false ? ['CPUSchedulingPolicy=fifo', 'CPUSchedulingPriority=1'] : []),
    'DynamicUser=yes',
    'StateDirectory=offloadctl',
    'StateDirectoryMode=0700',
    ...(o.tokenSource ? [`LoadCredential=token:${o.tokenSource}`] : []),
    'CapabilityBoundingSet=CAP_NET_ADMIN',
    'AmbientCapabilities=CAP_NET_ADMIN',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'RestrictAddressFamilies=AF_NETLINK AF_UNIX AF_INET AF_INET6',
    'SystemCallArchitectures=native',
    'UMask=0077',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}

/** Write the unit under root (default /): ROOT/etc/systemd/system/offloadctl-agent.service. */
export function installUnit(root: string, text: string): string {
  const path = join(root, 'etc/systemd/system', UNIT_NAME);
  mkdirSync(dirname(path), { recursive: true });
  writeFileDurable(path, text, 0o644);
  return path;
}
