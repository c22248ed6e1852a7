import type { Coverage, RenderInput, RenderResult, RenderedFile } from '../types.js';
import { MARK } from '../types.js';
import { NM_KEYS, mapKeys } from '../features.js';
import { formatIni, iniValues, parseIni, type IniSection } from '../ini.js';
import { printable, shellQuote } from './common.js';

export const NM_DIRS = ['/etc/NetworkManager/system-connections'];

/**
 * NetworkManager applies `ethtool.feature-*` of the connection profile active on a device
 * (nm-setting-ethtool). We add the keys to the keyfile of the profile bound to each interface
 * (`interface-name=`), keeping everything else; an interface without a profile is not managed by
 * NM and gets nothing (creating a profile would make NM take the device over). NM reads keyfiles
 * on `nmcli connection reload` and applies them to a running device on `nmcli device reapply`.
 */
export function renderNetworkManager(input: RenderInput): RenderResult {
  const files: RenderedFile[] = [];
  const coverage: Coverage[] = [];
  const notes: string[] = [];
  const commands: string[] = [];
  const profiles: { path: string; sections: IniSection[]; ifname: string | null; mac: string | null; id: string }[] =
    [];
  for (const dir of NM_DIRS) {
    for (const f of input.root.list(dir)) {
      if (!f.endsWith('.nmconnection')) continue;
      const path = `${dir}/${f}`;
      try {
        const sections = parseIni(input.root.read(path) ?? '');
        const ifname = iniValues(sections, 'connection', 'interface-name')[0] ?? null;
        const mac = iniValues(sections, 'ethernet', 'mac-address')[0]?.toLowerCase() ?? null;
        const id = iniValues(sections, 'connection', 'id')[0] ?? f.replace(/\.nmconnection$/, '');
        if (ifname || mac) profiles.push({ path, sections, ifname, mac, id });
      } catch (e) {
        notes.push(`${path}: not a valid keyfile (${(e as Error).message}), skipped`);
      }
    }
  }
  for (const iface of input.interfaces) {
    if (Object.keys(iface.desired).length === 0) continue;
    // A profile binds a device by interface-name= or by [ethernet] mac-address= (both, if given).
    const bound = profiles.filter(
      (p) =>
        (p.ifname === null || p.ifname === iface.name) &&
        (p.mac === null || p.mac === iface.mac) &&
        (p.ifname ?? p.mac) !== null,
    );
    if (bound.length === 0) {
      notes.push(
        `${iface.name}: no NetworkManager profile bound to it (interface-name= or mac-address=): not covered by NetworkManager`,
      );
      continue;
    }
    const mapped = mapKeys(iface.desired, iface.known, NM_KEYS);
    for (const p of bound) {
      const sections = p.sections.map((s) => ({ name: s.name, entries: [...s.entries] }));
      let eth = sections.find((s) => s.name === 'ethtool');
      if (!eth) {
        eth = { name: 'ethtool', entries: [] };
        sections.push(eth);
      }
      const ours = new Set(mapped.entries.map(([k]) => k));
      eth.entries = eth.entries.filter(([k]) => !ours.has(k));
      for (const [k, v] of mapped.entries) eth.entries.push([k, v ? 'true' : 'false']);
      const content =
        `# ${MARK} target=networkmanager policy=${printable(input.options.policyName)} (added the [ethtool] feature-* keys; the rest is the original profile)\n` +
        formatIni(sections);
      files.push({ path: p.path, content, mode: 0o600 });
      commands.push(
        `nmcli connection modify ${shellQuote(p.id)} ${mapped.entries.map(([k, v]) => `ethtool.${k} ${v ? 'on' : 'off'}`).join(' ')}`,
      );
    }
    commands.push(`nmcli device reapply ${shellQuote(iface.name)}`);
    coverage.push({
      match: iface.name,
      when: 'boot',
      files: bound.map((b) => b.path),
      covered: mapped.covered,
      uncovered: mapped.uncovered,
      ...(mapped.uncovered.length
        ? {
            caveats: [
              `${mapped.uncovered.join(', ')}: no NetworkManager ethtool key (NM expands feature-tso with its own fixed list)`,
            ],
          }
        : {}),
    });
  }
  if (files.length)
    commands.unshift(
      'nmcli connection reload   # after installing the keyfiles; the modify commands below are the same change done through nmcli instead',
    );
  return { target: 'networkmanager', files, moves: [], coverage, notes, commands };
}
