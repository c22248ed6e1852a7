import type { Command } from 'commander';
import { action, globalOpts } from '../action.js';
import { collect, libvirtDirOption, policyOption, profileOption, proxmoxDirOption } from '../shared-options.js';

export interface PlanCliOptions {
  profile?: string;
  policy?: string;
  interface: string[];
  json?: boolean;
  libvirtDir?: string;
  proxmoxDir?: string;
  allowEmpty?: boolean;
}

/** The policy/scope options plan and apply share. */
export function addPlanOptions(cmd: Command): Command {
  return cmd
    .addOption(profileOption())
    .addOption(policyOption())
    .option('--interface <glob>', 'only these interfaces (repeatable; globs like vnet*)', collect, [])
    .option(
      '--allow-empty',
      'succeed with nothing to do when the --interface globs match no interface (default: exit 2)',
    )
    .addOption(libvirtDirOption())
    .addOption(proxmoxDirOption());
}

export function register(program: Command): void {
  addPlanOptions(
    program
      .command('plan')
      .description(
        'Show the exact feature changes a policy would make, per interface, as the equivalent ' +
          '`ethtool -K` commands. Reads only; changes nothing.',
      ),
  )
    .option('--json', 'the plan as JSON (changes, skipped features, compliant interfaces)')
    .addHelpText(
      'after',
      `
The plan sets requested bits (what the kernel keeps); it skips fixed features (reported, never
attempted), features already requested as wanted, and features the kernel holds off for a
dependency (TSO while scatter-gather is off). Bridges and bonds come after their ports: the kernel
recomputes their features from the ports (br_features_recompute). Physical NICs get a warning: the
driver may reset the link.

Examples:
  offloadctl plan                                # the default profile tso-gso-off
  offloadctl plan --profile offloads-on          # the way back
  offloadctl plan --policy ./policy.yaml --interface 'vnet*' --json
  offloadctl plan > undo-me.sh                   # a script a human could review and run
  offloadctl --netns olab-demo-hv plan

Exit codes: 0 nothing to do, 1 changes planned, 2 bad usage, unknown interface, --interface globs
matching nothing (without --allow-empty) or invalid policy,
3 system error.`,
    )
    .action(
      action(async (opts: PlanCliOptions, cmd: Command) => {
        const g = globalOpts(cmd);
        const [{ loadPolicyLazy }, pipeline] = await Promise.all([
          import('../../policy/lazy.js'),
          import('../../apply/pipeline.js'),
        ]);
        const policy = await loadPolicyLazy({ profile: opts.profile, file: opts.policy });
        await pipeline.checkGlobs(opts.interface);
        const { withKernel } = await import('../context.js');
        const { plan } = await withKernel(g, (k) =>
          pipeline.observeAndPlan(k, {
            policy,
            interfaces: opts.interface,
            allowEmpty: opts.allowEmpty,
            observe: { libvirtDir: opts.libvirtDir, proxmoxDir: opts.proxmoxDir },
          }),
        );
        if (opts.json || g.json) {
          const { printJson } = await import('../output.js');
          printJson(plan);
        } else process.stdout.write(await planText(plan));
        return plan.changes.length ? 1 : 0;
      }),
    );
}

/** The human form of a plan: summary, `ethtool -K` commands, then what is skipped and why. */
export async function planText(p: import('../../plan/types.js').Plan): Promise<string> {
  const [render, { renderTable }] = await Promise.all([import('../../plan/render.js'), import('../output.js')]);
  let text = `# ${render.summarizePlan(p)}\n`;
  const cmds = render.renderCommands(p);
  if (cmds) text += '\n' + cmds;
  const skips = render.notableSkips(p);
  if (skips.length) {
    text +=
      '\n# not changed:\n' +
      renderTable(
        ['INTERFACE', 'FEATURE', 'REASON', 'DETAIL'],
        skips.map((s) => [s.ifname, s.feature, s.reason, s.detail ?? '']),
      )
        .split('\n')
        .map((l) => (l ? `# ${l}` : l))
        .join('\n');
  }
  return text;
}
