/**
 * Shared by the audit netns tests: the oracle (`ethtool --json -k`, `ip -json -d link`) read
 * inside a namespace, and the built CLI run against it. Not a test file itself.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run, type ExecResult } from '../../src/kernel/exec.js';
import { nsRunOk } from '../../src/lab/netns.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built CLI; OFFLOADCTL_TEST_CLI points at another build (e.g. a private one while others rebuild dist/). */
export const CLI = process.env.OFFLOADCTL_TEST_CLI ?? ROOT + 'bin/offloadctl';

/** Why these tests cannot run here, or false. */
export function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  if (!existsSync(new URL('../dist/main.js', `file://${CLI}`))) return 'needs the built CLI (npm run build; scripts/test.sh does it)';
  return false;
}

export function cli(args: readonly string[]): Promise<ExecResult> {
  return run([process.execPath, CLI, ...args], { timeoutMs: 60_000 });
}

/** ethtool's JSON keeps a few legacy long names for single features (ethtool common.c off_flag_def). */
const LEGACY: Record<string, string> = {
  'rx-checksumming': 'rx-checksum',
  'generic-segmentation-offload': 'tx-generic-segmentation',
  'generic-receive-offload': 'rx-gro',
  'large-receive-offload': 'rx-lro',
  'rx-vlan-offload': 'rx-vlan-hw-parse',
  'tx-vlan-offload': 'tx-vlan-hw-insert',
  'ntuple-filters': 'rx-ntuple-filter',
  'receive-hashing': 'rx-hashing',
};

export type OracleFeatures = Record<string, { active: boolean; requested: boolean; fixed: boolean }>;

/** `ethtool --json -k IF` → kernel feature name → state (aggregates, whose fixed is null, dropped). */
export async function oracleFeatures(ns: string, ifname: string): Promise<OracleFeatures> {
  const [obj] = JSON.parse(await nsRunOk(ns, ['ethtool', '--json', '-k', ifname])) as Record<string, unknown>[];
  const out: OracleFeatures = {};
  for (const [k, v] of Object.entries(obj!)) {
    if (k === 'ifname' || typeof v !== 'object' || v === null) continue;
    const s = v as { active: boolean; requested: boolean | null; fixed: boolean | null };
    if (s.fixed === null || s.requested === null) continue;
    out[LEGACY[k] ?? k] = { active: s.active, requested: s.requested, fixed: s.fixed };
  }
  return out;
}

export interface OracleLink {
  ifname: string;
  mtu: number;
  master?: string;
  linkinfo?: { info_kind?: string };
}

export async function oracleLinks(ns: string): Promise<OracleLink[]> {
  return JSON.parse(await nsRunOk(ns, ['ip', '-json', '-d', 'link', 'show'])) as OracleLink[];
}

/** Every interface's features, keyed by name. */
export async function oracleAll(ns: string): Promise<Record<string, OracleFeatures>> {
  const out: Record<string, OracleFeatures> = {};
  for (const l of await oracleLinks(ns)) out[l.ifname] = await oracleFeatures(ns, l.ifname);
  return out;
}

export const isTsoGso = (f: string) => /^tx-tcp.*-segmentation$/.test(f) || f === 'tx-generic-segmentation';
