import { MARK, type Coverage, type Move, type RenderInput, type RenderResult } from '../types.js';
import { applyArgv, header } from './common.js';
import { schemeCoverage } from './udev.js';

export const LIBVIRT_HOOK_PATH = '/etc/libvirt/hooks/qemu';
/** Where an existing (foreign) qemu hook is moved; ours runs it first with the same arguments and stdin. */
export const LIBVIRT_HOOK_CHAINED = '/etc/libvirt/hooks/qemu.offloadctl-chained';

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * libvirt's qemu hook: called as `qemu DOMAIN OPERATION SUB-OPERATION EXTRA` with the domain XML on
 * stdin (docs: libvirt.org/hooks.html). On `started` the domain's taps exist: take every
 * `<target dev='…'/>` inside `<interface>` elements (disks have target dev too) and apply the
 * policy to it. It never calls virsh or any libvirt API: libvirtd waits for the hook, and calling
 * back into it deadlocks (the hooks documentation forbids it).
 */
export function renderLibvirtHook(input: RenderInput): RenderResult {
  const opts = input.options;
  const moves: Move[] = [];
  const notes: string[] = [];
  const existing = input.root.read(LIBVIRT_HOOK_PATH);
  const chained = existing !== null && !existing.includes(MARK);
  const alreadyChained = input.root.exists(LIBVIRT_HOOK_CHAINED);
  if (chained) {
    moves.push({ from: LIBVIRT_HOOK_PATH, to: LIBVIRT_HOOK_CHAINED });
    notes.push(
      `the existing ${LIBVIRT_HOOK_PATH} is moved to ${LIBVIRT_HOOK_CHAINED} and still runs first, with the same arguments and stdin`,
    );
  } else if (alreadyChained) {
    notes.push(`chains ${LIBVIRT_HOOK_CHAINED} (the hook that was there before offloadctl's)`);
  }
  const schemes = input.vmSchemes.filter((s) => Object.keys(s.desired).length > 0);
  const coverage: Coverage[] = schemes.map(schemeCoverage);
  // One case branch per naming scheme (plain ethtool: features may differ per scheme); the generic
  // tun/tap scheme is the fallback `*` — libvirt's own taps are vnetN unless the XML names them.
  const branches = schemes.map((s) => {
    const argv = applyArgv(opts, '__DEV__', s.desired, s.known).map((w) => (w === '__DEV__' ? '"$dev"' : q(w)));
    return `    ${s.glob ?? '*'}) offloadctl_run ${argv.join(' ')} ;;`;
  });
  const script = [
    '#!/bin/sh',
    header('libvirt-hook', opts).trimEnd(),
    '# libvirt runs: qemu DOMAIN OPERATION SUB-OPERATION EXTRA, with the domain XML on stdin.',
    '# Never call virsh or any libvirt API from here: libvirtd waits for this hook (deadlock).',
    'xml=$(cat)',
    'rc=0',
    '# One apply per port. A failure is logged to syslog/the journal (journalctl -t offloadctl),',
    "# never hidden, but does not fail the VM's start (libvirt would stop the domain).",
    'offloadctl_run() {',
    '  out=$("$@" 2>&1) && return 0',
    '  st=$?',
    `  printf '%s\\n' "$out" | tail -n 20 | logger -t offloadctl -p daemon.err`,
    '  logger -t offloadctl -p daemon.err -- "libvirt hook: exit $st: $*"',
    '  return 0',
    '}',
    `if [ -x ${LIBVIRT_HOOK_CHAINED} ]; then`,
    `  printf '%s\\n' "$xml" | ${LIBVIRT_HOOK_CHAINED} "$@" || rc=$?`,
    'fi',
    'if [ "$2" = started ] || [ "$2" = reconnect ] || [ "$2" = attach ]; then',
    "  printf '%s\\n' \"$xml\" | sed -n '/<interface[ >]/,/<\\/interface>/p' |",
    '    sed -n "s/.*<target[^>]*[[:space:]]dev=[\\"\']\\([A-Za-z0-9_.:@-]*\\)[\\"\'].*/\\1/p" |',
    '  while read -r dev; do',
    '    case "$dev" in',
    ...branches,
    '    esac',
    '  done',
    'fi',
    'exit $rc',
    '',
  ].join('\n');
  notes.push(
    'the hook runs when a domain starts (also on libvirtd reconnect/attach); a NIC hot-plugged later is covered by the udev target, not by this hook',
  );
  return {
    target: 'libvirt-hook',
    files: schemes.length ? [{ path: LIBVIRT_HOOK_PATH, content: script, mode: 0o755 }] : [],
    moves: schemes.length ? moves : [],
    coverage,
    notes,
    commands:
      existing === null && schemes.length
        ? ['systemctl restart libvirtd   # libvirt looks for a new hook file only at start']
        : [],
  };
}
