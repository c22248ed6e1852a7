import type { Coverage, PersistInterface, RenderInput, RenderResult, RenderedFile } from '../types.js';
import { MARK } from '../types.js';
import { ethtoolArgs } from '../features.js';
import { assertSafeWord, printable } from './common.js';

export const IFUPDOWN_MAIN = '/etc/network/interfaces';
const BEGIN = `# ${MARK} begin`;
const END = `# ${MARK} end`;

/** Files ifupdown reads: the main file and the usual `source /etc/network/interfaces.d/*` folder. */
export function ifupdownFiles(root: RenderInput['root']): string[] {
  const files = [IFUPDOWN_MAIN];
  for (const f of root.list('/etc/network/interfaces.d')) {
    // run-parts-like names only, as ifupdown's `source-directory` takes them
    if (/^[A-Za-z0-9_-]+$/.test(f)) files.push(`/etc/network/interfaces.d/${f}`);
  }
  return files.filter((f) => root.read(f) !== null);
}

/** Remove blocks we inserted earlier, so rendering is a fixed point (a second run is "unchanged"). */
export function stripOurBlocks(text: string): string {
  const out: string[] = [];
  let inside = false;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.startsWith(BEGIN)) inside = true;
    else if (t.startsWith(END)) inside = false;
    else if (!inside) out.push(line);
  }
  return out.join('\n');
}

/**
 * Insert the policy into existing stanzas (`iface NAME inet|inet6 METHOD`): `offload-*` options for
 * Debian's ethtool hook (/etc/network/if-up.d/ethtool turns IF_OFFLOAD_TSO=off into
 * `ethtool --offload IFACE tso off`), and a `post-up /sbin/ethtool -K` line, because ifupdown2
 * (Proxmox) does not run that hook. An interface without a stanza is not managed by ifupdown: it
 * gets nothing here (adding a stanza would change how the host brings it up).
 */
export function renderIfupdown(input: RenderInput): RenderResult {
  const proxmox = input.root.exists('/etc/pve');
  const notes: string[] = [];
  const coverage: Coverage[] = [];
  const files: RenderedFile[] = [];
  const wanted = new Map(input.interfaces.filter((i) => Object.keys(i.desired).length).map((i) => [i.name, i]));
  const done = new Set<string>();
  for (const path of ifupdownFiles(input.root)) {
    const original = input.root.read(path)!;
    const lines = stripOurBlocks(original).split('\n');
    const autos = autoNames(lines);
    const out: string[] = [];
    for (const [idx, line] of lines.entries()) {
      out.push(line);
      const m = /^\s*iface\s+(\S+)\s+(inet6?|ipx|can)\s+(\S+)/.exec(line);
      if (!m || done.has(m[1]!)) continue;
      const iface = wanted.get(m[1]!);
      if (!iface) continue;
      done.add(iface.name);
      const indent = /^(\s*)/.exec(lines[idx + 1] ?? '')?.[1] || '\t';
      out.push(...stanzaLines(iface, input, proxmox).map((l) => indent + l));
      if (!autos.has(iface.name))
        notes.push(
          `${iface.name}: its stanza in ${path} has no auto/allow-hotplug line: ifupdown will not bring it up at boot`,
        );
      coverage.push({
        match: iface.name,
        when: 'boot',
        covered: Object.keys(iface.desired).sort(),
        uncovered: [],
        files: [path],
      });
    }
    const next = out.join('\n');
    if (next !== original || original.includes(MARK)) files.push({ path, content: next, mode: 0o644 });
  }
  for (const i of wanted.values()) {
    if (!done.has(i.name)) notes.push(`${i.name}: no ifupdown stanza (iface ${i.name} ...): not covered by ifupdown`);
  }
  if (proxmox)
    notes.push(
      'Proxmox (ifupdown2): only post-up lines are written; ifupdown2 does not run the Debian ethtool hook that reads offload-* options',
    );
  return {
    target: 'ifupdown',
    files: files.filter((f) => f.content.includes(MARK)),
    moves: [],
    coverage,
    notes,
    commands: [],
  };
}

function stanzaLines(iface: PersistInterface, input: RenderInput, proxmox: boolean): string[] {
  const args = ethtoolArgs(iface.desired, iface.known);
  const name = assertSafeWord(iface.name, 'interface name');
  const lines = [`${BEGIN} (policy ${printable(input.options.policyName)})`];
  if (!proxmox) {
    // ifupdown exports option `offload-X v` as IF_OFFLOAD_X=v; the hook maps '_' back to '-', so a
    // kernel name with '_' (tx-udp_tnl-segmentation) cannot go this way: post-up covers it.
    for (const [k, v] of args) if (!k.includes('_')) lines.push(`offload-${k} ${v}`);
  }
  lines.push(`post-up ${input.options.ethtoolPath} -K ${name} ${args.flat().join(' ')} || true`);
  lines.push(END);
  return lines;
}

function autoNames(lines: string[]): Set<string> {
  const s = new Set<string>();
  for (const l of lines) {
    const m = /^\s*(auto|allow-\S+)\s+(.*)$/.exec(l);
    if (m) for (const n of m[2]!.trim().split(/\s+/)) s.add(n);
  }
  return s;
}
