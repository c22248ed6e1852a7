import type { RootView } from './types.js';

/** Where `offloadctl agent --install-unit` writes the unit (src/agent/unit.ts), and where packages put units. */
export const AGENT_UNIT_PATHS = [
  '/etc/systemd/system/offloadctl-agent.service',
  '/usr/lib/systemd/system/offloadctl-agent.service',
  '/lib/systemd/system/offloadctl-agent.service',
];

/** What an installed agent unit runs, from its ExecStart (the last one wins, as in systemd). */
export interface AgentUnit {
  path: string;
  mode: 'enforce' | 'report';
  /** --policy FILE, or null. */
  policyFile: string | null;
  /** --profile NAME, or null (no --policy and no --profile: the default profile, tso-gso-off). */
  profile: string | null;
  /** `offloadctl --netns NS agent`: the namespace it enforces in; null for the one systemd runs it in (the host's). */
  netns: string | null;
}

/** Split an ExecStart value into words (systemd quoting: double or single quotes, backslash escapes). */
function words(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s))
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!));
  return out;
}

/** Parse a unit's text (pure). Null when it does not run `offloadctl … agent`. */
export function parseAgentUnit(path: string, text: string): AgentUnit | null {
  let exec: string | null = null;
  for (const line of text.split('\n')) {
    const m = /^\s*ExecStart\s*=\s*(.*)$/.exec(line);
    if (m) exec = m[1]!.trim().replace(/^[@\-:+!]+/, '') || null; // prefixes: systemd.service(5)
  }
  if (!exec) return null;
  const argv = words(exec);
  const at = argv.indexOf('agent');
  if (at < 0) return null;
  const opt = (name: string, from: number, to: number): string | null => {
    let v: string | null = null;
    for (let i = from; i < to; i++) {
      const a = argv[i]!;
      if (a === name && i + 1 < to) v = argv[++i]!;
      else if (a.startsWith(name + '=')) v = a.slice(name.length + 1);
    }
    return v;
  };
  const mode = opt('--mode', at + 1, argv.length);
  return {
    path,
    mode: mode === 'report' ? 'report' : 'enforce',
    policyFile: opt('--policy', at + 1, argv.length),
    profile: opt('--profile', at + 1, argv.length),
    netns: opt('--netns', 1, at),
  };
}

/** The installed agent unit under root, if any (the first of AGENT_UNIT_PATHS that runs the agent). */
export function findAgentUnit(root: RootView): AgentUnit | null {
  for (const p of AGENT_UNIT_PATHS) {
    const text = root.read(p);
    const u = text === null ? null : parseAgentUnit(p, text);
    if (u) return u;
  }
  return null;
}
