import type { Coverage, RenderInput, RenderResult } from '../types.js';
import { ethtoolArgs } from '../features.js';
import { assertSafeWord, header, printable } from './common.js';

export const TUNED_PROFILE = 'offloadctl';
export const TUNED_FILE = `/etc/tuned/${TUNED_PROFILE}/tuned.conf`;

/**
 * tuned: a profile with one [net] instance per distinct feature set, `features=` in ethtool -K
 * syntax (tuned plugin_net.py). tuned's net plugin only manages devices whose sysfs path is not
 * under /virtual/ (plugin_net.py _init_devices): bridges, taps, vifs, bonds, VLANs are skipped.
 * The profile includes the active one, so activating it keeps the current tuning.
 */
export function renderTuned(input: RenderInput): RenderResult {
  const notes: string[] = [
    'tuned skips virtual devices (its net plugin ignores /sys/devices/virtual/*): bridges, taps, vifs, bonds and VLANs need another target',
  ];
  const coverage: Coverage[] = [];
  const groups = new Map<string, string[]>();
  for (const iface of input.interfaces) {
    if (Object.keys(iface.desired).length === 0) continue;
    if (!iface.physical) {
      notes.push(`${iface.name}: virtual device, tuned does not manage it`);
      continue;
    }
    const feats = ethtoolArgs(iface.desired, iface.known).flat().join(' ');
    groups.set(feats, [...(groups.get(feats) ?? []), assertSafeWord(iface.name, 'interface name')]);
    coverage.push({ match: iface.name, when: 'boot', covered: Object.keys(iface.desired).sort(), uncovered: [] });
  }
  const active = (input.root.read('/etc/tuned/active_profile') ?? '').trim().split(/\s+/)[0] ?? '';
  const include = active && active !== TUNED_PROFILE ? `include=${active}\n` : '';
  let i = 0;
  const sections = [...groups.entries()].map(
    ([feats, devs]) => `[net_offloadctl_${++i}]\ntype=net\ndevices=${devs.join(',')}\nfeatures=${feats}\n`,
  );
  const files = sections.length
    ? [
        {
          path: TUNED_FILE,
          content:
            header('tuned', input.options) +
            `[main]\nsummary=NIC offloads from offloadctl policy ${printable(input.options.policyName)}\n${include}\n` +
            sections.join('\n'),
          mode: 0o644,
        },
      ]
    : [];
  if (include) notes.push(`the profile includes the active profile ${active}`);
  return {
    target: 'tuned',
    files,
    moves: [],
    coverage,
    notes,
    commands: files.length ? [`tuned-adm profile ${TUNED_PROFILE}`] : [],
  };
}
