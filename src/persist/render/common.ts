import { OffloadError } from '../../model/errors.js';
import { MARK, type PersistTarget, type RenderOptions, type VmPortScheme } from '../types.js';
import { ethtoolArgv } from '../features.js';

/** The first lines of every file we write: the mark that uninstall and --check look for. */
export function header(target: PersistTarget, opts: RenderOptions, comment = '#'): string {
  return (
    `${comment} ${MARK} target=${target} policy=${printable(opts.policyName)}\n` +
    `${comment} Written by \`offloadctl persist --target ${target}\`; \`offloadctl persist --target ${target} --uninstall\` removes it.\n`
  );
}

/** Interface names never contain whitespace, quotes or '/' (dev_valid_name); refuse anything else in generated code. */
export function assertSafeWord(s: string, what: string): string {
  if (!/^[A-Za-z0-9_.:@%*?[\]|+-]+$/.test(s) && !/^\/[A-Za-z0-9_./+-]+$/.test(s)) {
    throw new OffloadError('input', `${what} ${JSON.stringify(s)} cannot be written into a boot-time rule safely`);
  }
  return s;
}

/**
 * The command a boot-path mechanism runs for one interface, as argv with IFACE standing for the
 * interface (a udev substitution or a shell variable): offloadctl with the installed policy, or
 * plain ethtool with the features resolved for this scheme.
 */
export function applyArgv(
  opts: RenderOptions,
  iface: string,
  desired: Record<string, boolean>,
  known: readonly string[],
): string[] {
  if (opts.noOffloadctlOnBootPath) {
    return [opts.ethtoolPath, '-K', iface, ...ethtoolArgv(desired, known)];
  }
  // --syslog: nobody reads a udev RUN program's or a hook's output; a failure must reach the journal.
  // The lock wait (--lock-timeout, default 60 s) lets a burst of VM ports queue up instead of failing.
  return [opts.offloadctlPath, 'apply', '--interface', iface, '--policy', opts.policyPath, '--yes', '--syslog'];
}

/** Kernel features QEMU rewrites on a tap with TUNSETOFFLOAD (drivers/net/tun.c set_offload, TUN_USER_FEATURES). */
export const TUN_USER_FEATURES = [
  'tx-checksum-ip-generic',
  'tx-tcp-segmentation',
  'tx-tcp-ecn-segmentation',
  'tx-tcp6-segmentation',
  'tx-udp-segmentation',
];

export function tunCaveats(scheme: Pick<VmPortScheme, 'desired' | 'label'>, isTun: boolean): string[] {
  if (!isTun) return [];
  const hit = TUN_USER_FEATURES.filter((f) => scheme.desired[f] === false);
  if (hit.length === 0) return [];
  return [
    `${hit.join(', ')} off on a tap is rewritten by QEMU's TUNSETOFFLOAD when the guest driver negotiates ` +
      `(drivers/net/tun.c set_offload resets the wanted bits); for libvirt guests use --target libvirt-xml ` +
      `(<driver><guest tso4='off' .../>), or run \`offloadctl agent\` to re-apply after the change`,
  ];
}

export function sortedKeys<T>(o: Record<string, T>): string[] {
  return Object.keys(o).sort();
}

/** One line of plain text (policy names end up in comments of generated files). */
export function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

/** Quote a word for a command line printed for the operator (never executed by us). */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_.:@%+=/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
