import type { LinkInfo, Observation, Policy } from '../model/types.js';
import { OffloadError } from '../model/errors.js';
import { DEFAULT_PROFILE, parsePolicyText, policyToYaml } from '../policy/index.js';
import { findAgentUnit, type AgentUnit } from './agent-unit.js';
import {
  checkCoverage,
  type AgentMechanism,
  type CheckPlace,
  type CheckReport,
  type InstalledTarget,
} from './check.js';
import { chooseTargets, type AutoChoice } from './detect.js';
import { bootInterfaces, selectedInterfaces, usesMasterSelectors, vmPortSchemes } from './inputs.js';
import { installTarget, manifestHealth, readManifests, uninstallTarget, type InstallReport } from './install.js';
import { render } from './render/index.js';
import { printable } from './render/common.js';
import { fsRoot } from './root.js';
import {
  MARK,
  TARGETS,
  type PersistInterface,
  type PersistTarget,
  type RenderOptions,
  type RenderResult,
} from './types.js';

/**
 * The persist pipeline: (policy, observation) → per target: render (pure) → install (I/O under
 * root). Also uninstall and --check. The CLI only parses flags and prints.
 */

export interface PersistContext {
  policy: Policy;
  observation: Observation;
  links: readonly LinkInfo[];
  featureNames?: readonly string[];
  root: string;
  options: RenderOptions;
  domainXml?: string;
}

export interface TargetOutcome {
  target: PersistTarget;
  result: RenderResult;
  install: InstallReport | null;
}

export interface PersistOutcome {
  targets: TargetOutcome[];
  auto: Pick<AutoChoice, 'detected' | 'uncovered' | 'reasons' | 'vmStart'> | null;
  notes: string[];
}

/** Where the udev rule and the libvirt hook find the policy (installed with them). */
export const DEFAULT_POLICY_PATH = '/etc/offloadctl/policy.yaml';

export function renderTargets(ctx: PersistContext, target: PersistTarget | 'auto'): PersistOutcome {
  const selected = selectedInterfaces(ctx.policy, ctx.observation, ctx.links);
  const boot = bootInterfaces(selected);
  const schemes = vmPortSchemes(ctx.policy, ctx.featureNames);
  const root = fsRoot(ctx.root);
  const notes: string[] = [];
  if (usesMasterSelectors(ctx.policy)) {
    notes.push(
      'the policy selects by master: a VM port is not in its bridge yet when udev sees it, so such rules match only from the libvirt hook or the agent',
    );
  }
  let plan: [PersistTarget, PersistInterface[]][];
  let auto: PersistOutcome['auto'] = null;
  if (target === 'auto') {
    const choice = chooseTargets(root, boot);
    auto = { detected: choice.detected, uncovered: choice.uncovered, reasons: choice.reasons, vmStart: choice.vmStart };
    plan = [...choice.boot.entries(), ...choice.vmStart.map((t): [PersistTarget, PersistInterface[]] => [t, []])];
    for (const u of choice.uncovered) notes.push(`${u}: no mechanism found under the root re-applies it at boot`);
    if (root.exists('/etc/xensource-inventory')) {
      notes.push(
        'XCP-ng/XenServer host: XAPI re-applies VIF and PIF ethtool settings itself at every plug: `offloadctl persist --target xapi --apply` (docs/ovs.md)',
      );
    }
    if (choice.vmStart.length === 0 && schemes.some((s) => Object.keys(s.desired).length)) {
      notes.push(
        'no udev and no libvirt under the root: nothing will apply the policy to VM ports as VMs start (run `offloadctl agent`)',
      );
    }
  } else {
    // xapi covers VIFs too: XAPI re-applies them at every VIF plug.
    plan = [[target, target === 'xapi' ? selected : boot]];
  }
  const targets: TargetOutcome[] = plan.map(([t, ifaces]) => {
    const result = render(t, {
      interfaces: ifaces,
      vmSchemes: schemes,
      root,
      options: ctx.options,
      domainXml: ctx.domainXml,
    });
    if ((t === 'udev' || t === 'libvirt-hook') && !ctx.options.noOffloadctlOnBootPath && result.files.length) {
      result.files.push({
        path: ctx.options.policyPath,
        content:
          `# ${MARK} policy=${printable(ctx.policy.name)}\n` +
          '# The policy the udev rule and the libvirt hook installed by `offloadctl persist` apply.\n' +
          policyToYaml({ ...ctx.policy, extends: undefined }),
        mode: 0o644,
      });
    }
    return { target: t, result, install: null };
  });
  return { targets, auto, notes };
}

export function persist(
  ctx: PersistContext,
  target: PersistTarget | 'auto',
  opts: { dryRun?: boolean; force?: boolean },
): PersistOutcome {
  const out = renderTargets(ctx, target);
  for (const t of out.targets) {
    if (t.target === 'libvirt-xml' || t.target === 'xapi') continue; // printed (xapi: run by --apply), never installed as files
    t.install = installTarget(ctx.root, t.result, { dryRun: opts.dryRun, force: opts.force, policy: ctx.policy.name });
  }
  return out;
}

export function uninstall(root: string, target: PersistTarget | 'auto', opts: { dryRun?: boolean }): InstallReport[] {
  const targets = target === 'auto' ? readManifests(root).map((m) => m.target) : [target];
  if (target === 'libvirt-xml')
    throw new OffloadError('usage', 'libvirt-xml installs nothing: there is nothing to uninstall');
  return targets.map((t) => uninstallTarget(root, t, opts));
}

/**
 * `place`: where the check runs (the host's network namespace or `--netns NS`): udev is credited in
 * the host's only. The installed agent unit (offloadctl-agent.service) counts as a mechanism too,
 * unless `target` names another one.
 */
export function check(
  ctx: Pick<PersistContext, 'policy' | 'observation' | 'links' | 'featureNames' | 'root'>,
  target?: PersistTarget,
  place: CheckPlace = { host: true, netns: null },
): CheckReport {
  const selected = selectedInterfaces(ctx.policy, ctx.observation, ctx.links);
  const schemes = vmPortSchemes(ctx.policy, ctx.featureNames);
  const installed: InstalledTarget[] = readManifests(ctx.root)
    .filter((m) => !target || m.target === target)
    .filter((m) => (TARGETS as readonly string[]).includes(m.target))
    .map((m) => ({ target: m.target, coverage: m.coverage, ...manifestHealth(ctx.root, m) }));
  const unit = target ? null : findAgentUnit(fsRoot(ctx.root));
  return checkCoverage(
    selected,
    schemes,
    installed,
    place,
    unit ? agentMechanism(ctx.root, unit, ctx.policy.name) : null,
  );
}

/** The agent unit as a mechanism: does it enforce the checked policy (by name; its file read under root)? */
function agentMechanism(root: string, u: AgentUnit, policyName: string): AgentMechanism {
  let name: string | null = u.profile ?? (u.policyFile ? null : DEFAULT_PROFILE);
  if (u.policyFile) {
    const text = fsRoot(root).read(u.policyFile);
    try {
      name = text === null ? null : parsePolicyText(text, u.policyFile).name;
    } catch {
      name = null; // a broken policy file: the agent would not start
    }
  }
  return { path: u.path, mode: u.mode, samePolicy: name === policyName, netns: u.netns };
}
