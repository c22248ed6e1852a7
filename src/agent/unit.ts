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
  /** Run in this named network namespace (`offloadctl --netns NS agent --install-unit`). */
  netns?: string;
}

export const UNIT_NAME = 'offloadctl-agent.service';

/** Open files allowed (LimitNOFILE): the HTTP listener's hard cap (1024 sockets) plus netlink sockets and files. */
export const UNIT_LIMIT_NOFILE = 8192;

/**
 * Names `ip netns add` accepts and a unit name can carry as they are: a bad one is refused, not
 * escaped (`/run/netns/NAME` must be the namespace `ip netns` made).
 */
export function checkNetnsName(ns: string): string | null {
  if (!/^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,200}$/.test(ns) || ns === '.' || ns === '..')
    return `network namespace name ${JSON.stringify(ns)}: use letters, digits, '_', '.', '-' (not a leading '-')`;
  return null;
}

/** The unit's name: one per namespace, so the host's agent and a namespace's agent do not overwrite each other. */
export function unitName(netns?: string): string {
  return netns ? `offloadctl-agent-netns-${netns}.service` : UNIT_NAME;
}

/** The state directory (under /var/lib) of the unit. */
export function unitStateDirectory(netns?: string): string {
  return netns ? `offloadctl/netns-${netns}` : 'offloadctl';
}

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
  const exec = [o.execPath, 'agent', ...o.args.map(q), ...(o.tokenSource ? ['--token-file', '%d/token'] : [])].join(
    ' ',
  );
  if (o.netns !== undefined) {
    const bad = checkNetnsName(o.netns);
    if (bad) throw new Error(bad);
  }
  // In a namespace: systemd joins it before ExecStart (NetworkNamespacePath=; no namespace by that
  // name: the start fails, the agent never runs on the host's interfaces by mistake).
  // RequiresMountsFor= orders it after the namespace's bind mount (`ip netns add` makes
  // /run/netns/NS a mount point, systemd tracks it as run-netns-NS.mount). Not BindsTo= that mount
  // unit: a unit bound to a mount unit that does not exist yet when systemd loads it fails to load
  // (systemd-analyze verify: "Unit run-netns-….mount not found").
  const ns = o.netns;
  const lines = [
    `# Written by \`offloadctl${ns ? ` --netns ${ns}` : ''} agent --install-unit\`.`,
    '[Unit]',
    `Description=offloadctl agent${ns ? ` in network namespace ${ns}` : ''}: keep NIC offloads as the policy says on every new and changed interface`,
    'Documentation=man:offloadctl-agent(8) man:offloadctl-policy(5) man:offloadctl(8)',
    'After=network-pre.target',
    'Wants=network-pre.target',
    ...(ns ? [`RequiresMountsFor=/run/netns/${ns}`] : []),
    '',
    '[Service]',
    '# What this agent sees: it runs as root with no capability but CAP_NET_ADMIN (changing offloads',
    '# needs it; reading needs none): every interface of its network namespace, and the VM records',
    "# root owns (libvirt's /run/libvirt/qemu, root 0700; Proxmox's /etc/pve/qemu-server, root:www-data",
    '# 0640), read as their owner, without CAP_DAC_OVERRIDE. Not a DynamicUser: its state directory',
    "# (snapshots of what it changed, for `offloadctl restore --agent`) must be root's, as apply's is",
    '# (a state directory owned by another user is refused). ProtectSystem=strict keeps every other',
    '# file read-only to it. See docs/unattended.md.',
    'Type=simple',
    ...(ns ? [`NetworkNamespacePath=/run/netns/${ns}`] : []),
    `ExecStart=${exec}`,
    'ExecReload=/bin/kill -HUP $MAINPID',
    'Restart=on-failure',
    'RestartSec=2s',
    ...(o.realtime !== false ? ['CPUSchedulingPolicy=fifo', 'CPUSchedulingPriority=1'] : []),
    `StateDirectory=${unitStateDirectory(ns)}`,
    'StateDirectoryMode=0700',
    // The record of the state before the agent's first changes (restore --agent): tmpfs, kept after
    // the agent stops (restore runs then), gone at reboot like the settings it describes.
    `RuntimeDirectory=${unitStateDirectory(ns)}/agent`,
    'RuntimeDirectoryMode=0700',
    'RuntimeDirectoryPreserve=yes',
    `LimitNOFILE=${UNIT_LIMIT_NOFILE}`,
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

/** Write the unit under root (default /): ROOT/etc/systemd/system/offloadctl-agent[-netns-NS].service. */
export function installUnit(root: string, text: string, name: string = UNIT_NAME): string {
  const path = join(root, 'etc/systemd/system', name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileDurable(path, text, 0o644);
  return path;
}
