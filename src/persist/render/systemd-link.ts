import picomatch from 'picomatch';
import type { Coverage, PersistInterface, RenderInput, RenderResult, RenderedFile, RootView } from '../types.js';
import { MARK } from '../types.js';
import { SYSTEMD_LINK_KEYS, ethtoolArgv, fileSafe, mapKeys } from '../features.js';
import { parseIni, type IniSection } from '../ini.js';
import { assertSafeWord, header } from './common.js';

/** Where systemd-udevd looks for .link files, highest precedence first (systemd.link(5)). */
export const LINK_DIRS = [
  '/etc/systemd/network',
  '/run/systemd/network',
  '/usr/local/lib/systemd/network',
  '/usr/lib/systemd/network',
  '/lib/systemd/network',
];
export const LINK_REST_RULES = '/etc/udev/rules.d/90-offloadctl-link-rest.rules';
const PREFIX = '00-offloadctl-';

/** [Link] keys we copy from the file our file shadows, so naming and MAC policy stay as they were. */
const KEEP_KEYS =
  /^(Name|NamePolicy|AlternativeName|AlternativeNamesPolicy|MACAddressPolicy|MACAddress|Alias|Description|MTUBytes|WakeOnLan)$/;

interface LinkFile {
  name: string;
  path: string;
  sections: IniSection[];
}

/** Every .link file udev would consider, one per file name (a name in /etc hides the same name in /usr/lib). */
export function existingLinkFiles(root: RootView): LinkFile[] {
  const byName = new Map<string, LinkFile>();
  for (const dir of LINK_DIRS) {
    for (const name of root.list(dir)) {
      if (!name.endsWith('.link') || byName.has(name)) continue;
      const path = `${dir}/${name}`;
      const text = root.read(path);
      if (text === null) continue;
      let sections: IniSection[] = [];
      try {
        sections = parseIni(text);
      } catch {
        /* unparsable: udev ignores it too */
      }
      byName.set(name, { name, path, sections });
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function globList(values: string[]): { neg: boolean; globs: string[] } {
  const words = values.flatMap((v) => v.split(/\s+/)).filter(Boolean);
  const neg = words[0]?.startsWith('!') ?? false;
  return { neg, globs: words.map((w) => w.replace(/^!/, '')) };
}

/**
 * Could this .link file's [Match] select the interface? Conservative: conditions we cannot
 * evaluate here (Path=, Property=, Host=, ...) count as "may match". systemd 252 applies a file
 * without any Match= to every device.
 */
export function mayMatch(file: LinkFile, iface: PersistInterface): boolean {
  return matchKind(file, iface) !== 'no';
}

/** Conditions outside OriginalName/MACAddress/Kind/Driver make a match only 'maybe'. */
const EVALUATED = new Set(['OriginalName', 'MACAddress', 'PermanentMACAddress', 'Kind', 'Driver']);

export function matchKind(file: LinkFile, iface: PersistInterface): 'yes' | 'maybe' | 'no' {
  if (!evaluate(file, iface)) return 'no';
  const keys = file.sections.filter((s) => s.name === 'Match').flatMap((s) => s.entries.map(([k]) => k));
  if (keys.some((k) => !EVALUATED.has(k))) return 'maybe';
  const names = globList(
    file.sections
      .filter((s) => s.name === 'Match')
      .flatMap((s) => s.entries.filter(([k]) => k === 'OriginalName').map(([, v]) => v)),
  );
  if (iface.physical && names.globs.length && !(names.globs.every((g) => g === '*') && !names.neg)) return 'maybe';
  return 'yes';
}

function evaluate(file: LinkFile, iface: PersistInterface): boolean {
  const match = file.sections.filter((s) => s.name === 'Match').flatMap((s) => s.entries);
  const get = (k: string) => match.filter(([key]) => key === k).map(([, v]) => v);
  const test = (key: string, value: string | null, originalNameUnknown = false) => {
    const vals = get(key);
    if (vals.length === 0) return true;
    if (value === null || originalNameUnknown) return true;
    const { neg, globs } = globList(vals);
    const hit = globs.some((g) => picomatch.isMatch(value.toLowerCase(), g.toLowerCase(), { dot: true }));
    return neg ? !hit : hit;
  };
  // A physical NIC's OriginalName is the kernel's (eth0) before udev renames it: unknown here.
  return (
    test('OriginalName', iface.name, iface.physical) &&
    test('MACAddress', iface.mac) &&
    test('PermanentMACAddress', iface.mac) &&
    test('Kind', iface.kind ?? '') &&
    test('Driver', iface.driver)
  );
}

/**
 * One `00-offloadctl-NAME.link` per interface: it sorts before other .link files, so it is the
 * one udev applies (only the first matching .link file applies, systemd.link(5)). It keeps the
 * naming keys of the file it shadows. Physical NICs match by MACAddress= (their name changes at
 * boot), others by OriginalName= (their creator names them). What no .link key can express
 * (tx-tcp-accecn-segmentation on 6.18) goes into a companion udev rule that runs ethtool.
 */
export function renderSystemdLink(input: RenderInput): RenderResult {
  const existing = existingLinkFiles(input.root).filter((f) => !f.name.startsWith(PREFIX));
  const files: RenderedFile[] = [];
  const coverage: Coverage[] = [];
  const notes: string[] = [];
  const restRules: string[] = [];
  for (const iface of input.interfaces) {
    if (Object.keys(iface.desired).length === 0) continue;
    const mapped = mapKeys(iface.desired, iface.known, SYSTEMD_LINK_KEYS);
    const ourName = `${PREFIX}${fileSafe(iface.name)}.link`;
    const matching = existing.filter((f) => mayMatch(f, iface));
    const before = matching.filter((f) => f.name < ourName);
    const after = matching.filter((f) => f.name > ourName);
    const matchLines =
      iface.physical && iface.mac
        ? [`MACAddress=${iface.mac}`]
        : [`OriginalName=${assertSafeWord(iface.name, 'interface name')}`];
    if (iface.kind) matchLines.push(`Kind=${assertSafeWord(iface.kind, 'kind')}`);
    const inherited: [string, string][] = [];
    // Keep the naming keys of the file that would apply without ours: the first certain match.
    const heir = after.find((f) => matchKind(f, iface) === 'yes');
    if (after.length) {
      for (const s of (heir?.sections ?? []).filter((x) => x.name === 'Link'))
        for (const [k, v] of s.entries) if (KEEP_KEYS.test(k)) inherited.push([k, v]);
      notes.push(
        `${iface.name}: ${ourName} shadows ${after.map((f) => f.path + (matchKind(f, iface) === 'maybe' ? ' (if it matches)' : '')).join(', ')}` +
          (inherited.length
            ? ` (${heir!.name}'s ${[...new Set(inherited.map(([k]) => k))].join(', ')} copied, so naming stays as it was)`
            : ''),
      );
    }
    if (before.length) {
      notes.push(
        `${iface.name}: ${before.map((f) => f.path).join(', ')} sorts before ${ourName} and may match it: then ours does not apply`,
      );
    }
    const content =
      header('systemd-link', input.options) +
      `[Match]\n${matchLines.join('\n')}\n\n[Link]\n` +
      inherited.map(([k, v]) => `${k}=${v}\n`).join('') +
      mapped.entries.map(([k, v]) => `${k}=${v ? 'true' : 'false'}\n`).join('');
    files.push({ path: `/etc/systemd/network/${ourName}`, content, mode: 0o644 });
    const rest: Record<string, boolean> = {};
    for (const f of mapped.uncovered) rest[f] = iface.desired[f]!;
    const caveats: string[] = [];
    if (mapped.uncovered.length) {
      const match = iface.physical && iface.mac ? `ATTR{address}=="${iface.mac}"` : `KERNEL=="${iface.name}"`;
      const argv = [input.options.ethtoolPath, '-K', '$kernel', ...ethtoolArgv(rest, iface.known)];
      for (const w of argv) if (w !== '$kernel') assertSafeWord(w, 'word');
      restRules.push(`${match}, RUN+="${argv.join(' ')}"`);
      caveats.push(
        `${mapped.uncovered.join(', ')}: no .link key sets ${mapped.uncovered.length === 1 ? 'it' : 'them'} (TCPSegmentationOffload= is tx-tcp-segmentation only); set by ${LINK_REST_RULES}`,
      );
    }
    coverage.push({
      match: iface.name,
      when: 'boot',
      covered: Object.keys(iface.desired).sort(),
      // An earlier file that may match would win: then ours may not apply at all.
      uncovered: before.length ? Object.keys(iface.desired).sort() : [],
      ...(caveats.length ? { caveats } : {}),
      files: [`/etc/systemd/network/${ourName}`, ...(mapped.uncovered.length ? [LINK_REST_RULES] : [])],
    });
  }
  if (restRules.length) {
    files.push({
      path: LINK_REST_RULES,
      content:
        header('systemd-link', input.options) +
        '# Features no systemd .link key can set, applied when the device appears (after .link files).\n' +
        'ACTION!="add", GOTO="offloadctl_link_end"\nSUBSYSTEM!="net", GOTO="offloadctl_link_end"\n' +
        restRules.join('\n') +
        '\nLABEL="offloadctl_link_end"\n',
      mode: 0o644,
    });
  }
  if (files.length)
    notes.push(
      '.link files apply when a device is added (boot, or re-trigger): `udevadm trigger -c add -s net` applies them now',
    );
  return {
    target: 'systemd-link',
    files,
    moves: [],
    coverage,
    notes,
    commands: files.length ? ['udevadm control --reload'] : [],
  };
}

export { MARK };
