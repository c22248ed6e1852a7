import { Option, type Command } from 'commander';
import { action, globalOpts } from '../action.js';
import { collect, libvirtDirOption, policyOption, profileOption, proxmoxDirOption } from '../shared-options.js';

interface AuditCliOptions {
  profile?: string;
  policy?: string;
  interface: string[];
  strict?: boolean;
  allowEmpty?: boolean;
  json?: boolean;
  libvirtDir?: string;
  proxmoxDir?: string;
  format?: 'table' | 'json' | 'prometheus';
  prometheusTextfile?: string;
}

export function register(program: Command): void {
  program
    .command('audit')
    .description(
      'Compare every interface with a policy (a built-in profile or a policy file) and report each ' +
        'feature whose active state differs, plus bridge ports whose MTU differs from their bridge. ' +
        'Reads only; changes nothing.',
    )
    .addOption(profileOption())
    .addOption(policyOption())
    .option('--interface <glob>', 'audit only these interfaces (repeatable; globs like vnet*)', collect, [])
    .option(
      '--allow-empty',
      'exit 0 when the --interface globs match no interface (default: exit 2, a typo must not pass)',
    )
    .option(
      '--strict',
      'also count deviating fixed (unchangeable) features, and features held off by the guest (a tap) or the ports (a bridge), as non-compliance',
    )
    .option('--json', 'the full report as JSON (kernel feature names)')
    .addOption(
      new Option(
        '--format <format>',
        "table, json (same as --json) or prometheus (text exposition, the agent's metric names: offloadctl_interface_compliant, offloadctl_feature_active/compliant, offloadctl_audit_*)",
      ).choices(['table', 'json', 'prometheus']),
    )
    .option(
      '--prometheus-textfile <path>',
      "also write the prometheus format to PATH for node_exporter's textfile collector (name it *.prom; written atomically: temporary file in the same directory, then rename)",
    )
    .addOption(libvirtDirOption())
    .addOption(proxmoxDirOption())
    .addHelpText(
      'after',
      `
A feature deviates when its active state differs from the policy's. Fixed features that deviate
are listed as CHANGEABLE "no (fixed)" but only count with --strict. So do features wanted on that a
tap's guest has not negotiated (QEMU enables them with TUNSETOFFLOAD; listed as held by the guest)
and a bridge's bits that follow its ports. The table groups kernel
features under ethtool's short names (tso = every tx-tcp*-segmentation bit); --json keeps the
kernel names.

Examples:
  offloadctl audit                              # the default profile tso-gso-off
  offloadctl audit --profile tso-gso-sg-off     # the Xen variant
  offloadctl audit --policy /etc/offloadctl/policy.yaml --json
  offloadctl audit --interface 'vnet*' --interface br0
  offloadctl --netns olab-demo-hv audit         # the lab (offloadctl lab up)
  offloadctl audit --format prometheus          # metrics on stdout
  offloadctl audit --prometheus-textfile /var/lib/prometheus/node-exporter/offloadctl.prom
                                                # for hosts without the agent (deploy/textfile/)

Exit codes: 0 compliant, 1 deviations or bridge-port MTU mismatches found, 2 unknown profile,
unknown interface, --interface globs matching nothing (without --allow-empty) or invalid policy
file (file:line:col: message), 3 system error.`,
    )
    .action(
      action(async (opts: AuditCliOptions, cmd: Command) => {
        const g = globalOpts(cmd);
        const policyMod = await import('../../policy/lazy.js');
        // The policy first: a bad file or profile is refused before the kernel is touched.
        const policy = await policyMod.loadPolicyLazy({ profile: opts.profile, file: opts.policy });
        for (const glob of opts.interface) {
          const problem = policyMod.globProblem(glob);
          if (problem) {
            const { OffloadError } = await import('../../model/errors.js');
            throw new OffloadError('usage', `invalid --interface "${glob}": ${problem}`);
          }
        }
        const [{ observe }, auditMod, out] = await Promise.all([
          import('../context.js'),
          import('../../audit/index.js'),
          import('../output.js'),
        ]);
        const obs = await observe(g, { libvirtDir: opts.libvirtDir, proxmoxDir: opts.proxmoxDir });
        const scoped = policyMod.filterInterfaces(obs, opts.interface);
        policyMod.requireSelection(opts.interface, scoped.interfaces.length, obs.interfaces.length, opts.allowEmpty);
        const desired = policyMod.resolvePolicy(policy, scoped);
        // A valid name can still mean nothing on this kernel (ufo is gone; a newer kernel's bit).
        // (each distinct feature map once: the netlink dump shares one map per device kind)
        const maps = new Set(obs.interfaces.map((i) => i.features));
        const present = [...new Set([...maps].flatMap((m) => Object.keys(m)))];
        const names = new Set(policy.rules.flatMap((r) => Object.keys(r.features)));
        for (const n of names) {
          if (present.length && policyMod.expandFeatureName(n, present).length === 0) {
            out.warn(
              `policy ${policy.name}: feature ${JSON.stringify(n)} matches no kernel feature of any interface here`,
            );
          }
        }
        const report = auditMod.audit(scoped, desired, { context: obs, strict: opts.strict, source: policy.source });
        const code = report.compliant ? 0 : 1;
        if (opts.format === 'prometheus' || opts.prometheusTextfile) {
          const { renderAuditPrometheus } = await import('../../audit/prometheus.js');
          const text = renderAuditPrometheus(report, desired, scoped);
          if (opts.prometheusTextfile) {
            const { writeTextfileAtomically } = await import('../../audit/textfile.js');
            try {
              writeTextfileAtomically(opts.prometheusTextfile, text);
            } catch (e) {
              const { OffloadError } = await import('../../model/errors.js');
              throw new OffloadError(
                'system',
                `--prometheus-textfile ${opts.prometheusTextfile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
              );
            }
          }
          if (opts.format === 'prometheus') {
            process.stdout.write(text);
            return code;
          }
        }
        if (opts.json || g.json || opts.format === 'json') {
          out.printJson(report);
          return code;
        }
        let text = auditMod.summaryLine(report) + '\n';
        const rows = auditMod.groupFindings(report.findings);
        if (rows.length) {
          const t = auditMod.findingTable(rows);
          text += '\n' + out.renderTable(t.headers, t.cells);
        }
        if (report.mtuMismatches.length) {
          const t = auditMod.mtuTable(report);
          text += '\nBridge ports whose MTU differs from their bridge:\n' + out.renderTable(t.headers, t.cells);
        }
        if (report.latent.length) {
          const t = auditMod.findingTable(auditMod.groupFindings(report.latent));
          text +=
            '\nActive as wanted but still requested otherwise (not counted; the kernel restores them when a\n' +
            "dependency returns or, on a tap, when QEMU re-applies the guest's offloads):\n" +
            out.renderTable(t.headers, t.cells);
        }
        if (report.held.length) {
          const t = auditMod.findingTable(auditMod.groupFindings(report.held));
          text +=
            '\nHeld off by the guest (a tap: QEMU turns these on when the guest negotiates them, TUNSETOFFLOAD) or\n' +
            `by the ports (a bridge follows its ports); no request changes them${report.strict ? '' : ', not counted (--strict counts them)'}:\n` +
            out.renderTable(t.headers, t.cells);
        }
        if (report.summary.unchangeable && !report.strict) {
          text += '\nFixed features cannot be changed by any tool; they do not count (use --strict to count them).\n';
        }
        process.stdout.write(text);
        return code;
      }),
    );
}
