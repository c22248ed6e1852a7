import { run, type ExecResult } from '../kernel/exec.js';
import { OffloadError } from '../model/errors.js';
import { getArgv, pifLookupArgv, setArgv, type XapiPlan, type XapiSetting } from './render/xapi.js';

/**
 * `persist --target xapi --apply` and `--check`: run `xe` (argv arrays, never a shell string) to set
 * the other-config keys render/xapi.ts decided, and to read them back.
 */

export type XeRunner = (argv: readonly string[]) => Promise<ExecResult>;

export const defaultXe: XeRunner = (argv) => run(argv, { timeoutMs: 60_000 });

export interface XapiStep {
  object: 'vif' | 'pif';
  ifnames: string[];
  uuid: string | null;
  /** The argv that ran (apply) or was read back (check). */
  argv: string[][];
  ok: boolean;
  error?: string;
  /** --check: key → value read back ('' when unset). */
  found?: Record<string, string>;
  /** --check: keys whose value is not what the policy wants. */
  gaps?: string[];
}

async function xeOk(xe: XeRunner, argv: string[]): Promise<string> {
  let r: ExecResult;
  try {
    r = await xe(argv);
  } catch (e) {
    throw new OffloadError(
      'system',
      `cannot run ${argv[0]}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (is this an XCP-ng/XenServer host? --xe-path)`,
    );
  }
  if (r.code !== 0) throw new Error(`${argv.slice(0, 2).join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

async function uuidOf(
  xe: XeRunner,
  xePath: string,
  s: XapiSetting,
  hostUuid: string | null,
  argvs: string[][],
): Promise<string> {
  if (s.uuid) return s.uuid;
  const argv = pifLookupArgv(xePath, s.device!, hostUuid);
  argvs.push(argv);
  const out = await xeOk(xe, argv);
  const uuids = out
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (uuids.length !== 1)
    throw new Error(
      `xe pif-list device=${s.device}: ${uuids.length} PIFs${hostUuid ? '' : ' (no host-uuid: /etc/xensource-inventory not found)'}`,
    );
  return uuids[0]!;
}

/**
 * Run `step` for every object that has keys, with its uuid looked up first; one object's failure
 * (a missing VIF, xe failing) is reported in its step and does not stop the others.
 */
async function eachSetting(
  plan: XapiPlan,
  xePath: string,
  xe: XeRunner,
  step: (
    s: XapiPlan['settings'][number],
    uuid: string,
    argvs: string[][],
  ) => Promise<Omit<XapiStep, 'object' | 'ifnames' | 'uuid' | 'argv'>>,
): Promise<XapiStep[]> {
  const out: XapiStep[] = [];
  for (const s of plan.settings) {
    if (s.keys.length === 0) continue;
    const argvs: string[][] = [];
    try {
      const uuid = await uuidOf(xe, xePath, s, plan.hostUuid, argvs);
      out.push({ object: s.object, ifnames: s.ifnames, uuid, argv: argvs, ...(await step(s, uuid, argvs)) });
    } catch (e) {
      if (e instanceof OffloadError) throw e;
      out.push({
        object: s.object,
        ifnames: s.ifnames,
        uuid: s.uuid,
        argv: argvs,
        ok: false,
        error: (e as Error).message,
      });
    }
  }
  return out;
}

/** Set every object's keys; one failure does not stop the others. */
export function applyXapi(plan: XapiPlan, xePath: string, xe: XeRunner = defaultXe): Promise<XapiStep[]> {
  return eachSetting(plan, xePath, xe, async (s, uuid, argvs) => {
    const argv = setArgv(xePath, s, uuid);
    argvs.push(argv);
    await xeOk(xe, argv);
    return { ok: true };
  });
}

/** XAPI accepts on/true and off/false (xen-api networking docs). */
function sameValue(found: string, want: 'on' | 'off'): boolean {
  const v = found.trim().toLowerCase();
  return want === 'on' ? v === 'on' || v === 'true' : v === 'off' || v === 'false';
}

/** Read each key back (`xe vif-param-get … param-key=ethtool-<key>`); a missing key reads as ''. */
export function checkXapi(plan: XapiPlan, xePath: string, xe: XeRunner = defaultXe): Promise<XapiStep[]> {
  return eachSetting(plan, xePath, xe, async (s, uuid, argvs) => {
    const found: Record<string, string> = {};
    const gaps: string[] = [];
    for (const [k, v] of s.keys) {
      const argv = getArgv(xePath, s, uuid, k);
      argvs.push(argv);
      const r = await xe(argv);
      // xe exits non-zero when the map has no such key: that is a gap, not an error.
      found[k] = r.code === 0 ? r.stdout.trim() : '';
      if (!sameValue(found[k]!, v)) gaps.push(`ethtool-${k}`);
    }
    return { ok: gaps.length === 0, found, gaps };
  });
}

export function xapiStepsText(steps: readonly XapiStep[], mode: 'apply' | 'check'): string {
  const lines: string[] = [];
  for (const s of steps) {
    const what = `${s.object.toUpperCase()} ${s.uuid ?? '?'} (${s.ifnames.join(', ')})`;
    if (s.error) lines.push(`${what}: FAILED: ${s.error}`);
    else if (mode === 'apply') lines.push(`${what}: set ${s.argv[s.argv.length - 1]!.slice(3).join(' ')}`);
    else if (s.ok)
      lines.push(
        `${what}: ok (${Object.entries(s.found ?? {})
          .map(([k, v]) => `ethtool-${k}=${v}`)
          .join(' ')})`,
      );
    else lines.push(`${what}: GAP: ${s.gaps!.map((g) => `${g}=${s.found?.[g.slice(8)] || '(unset)'}`).join(' ')}`);
  }
  if (steps.length === 0) lines.push('nothing for XAPI to keep: the policy selects no XAPI VIF or PIF');
  return lines.join('\n') + '\n';
}

/** The xapi target's plan for (policy, observation) with the root's /etc/xensource-inventory. */
export async function planXapiFor(ctx: {
  policy: import('../model/types.js').Policy;
  observation: import('../model/types.js').Observation;
  links: readonly import('../model/types.js').LinkInfo[];
  root: string;
}): Promise<XapiPlan> {
  const [{ selectedInterfaces }, { fsRoot }, { xapiPlan }] = await Promise.all([
    import('./inputs.js'),
    import('./root.js'),
    import('./render/xapi.js'),
  ]);
  return xapiPlan({ interfaces: selectedInterfaces(ctx.policy, ctx.observation, ctx.links), root: fsRoot(ctx.root) });
}
