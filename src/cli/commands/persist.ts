import { Option, type Command } from 'commander';
import { action, globalOpts, type GlobalOptions } from '../action.js';
import { TARGETS } from '../../persist/types.js';
import { libvirtDirOption, policyOption, profileOption, proxmoxDirOption } from '../shared-options.js';

interface PersistCliOptions {
  target?: string;
  profile?: string;
  policy?: string;
  root: string;
  dryRun?: boolean;
  uninstall?: boolean;
  check?: boolean;
  force?: boolean;
  json?: boolean;
  domainXml?: string;
  offloadctlOnBootPath: boolean;
  offloadctlPath?: string;
  ethtoolPath: string;
  policyPath: string;
  libvirtDir: string;
  proxmoxDir: string;
  apply?: boolean;
  xePath: string;
}

const TARGET_CHOICES = [...TARGETS, 'auto'];

export function register(program: Command): void {
  program
    .command('persist')
    .description(
      'Make the policy last: write it into what the host already uses (systemd\n' +
        '.link, netplan, NetworkManager, ifupdown, tuned) and cover the ports each\n' +
        'VM start creates (udev rule, libvirt hook). --check tells what re-applies\n' +
        'each interface at boot and at VM start, and names the gaps.',
    )
    .addOption(
      new Option('--target <target>', 'mechanism to write (auto: detect and cover everything)').choices(TARGET_CHOICES),
    )
    .addOption(profileOption())
    .addOption(policyOption())
    .option('--root <dir>', 'install under this root folder (tests, image builds)', '/')
    .option('--dry-run', 'show what would be written (with the content), write nothing')
    .option('--uninstall', 'remove exactly what offloadctl wrote for the target (auto: every target)')
    .option(
      '--check',
      'per selected interface: which mechanism re-applies it at boot and at VM start, and whether it keeps the setting ' +
        '(the agent unit, offloadctl-agent.service, re-enforces) or sets it once (udev, libvirt hook, boot files); ' +
        'udev is credited only in the host network namespace, the libvirt hook only for libvirt ports; gaps → exit 1',
    )
    .option('--force', 'overwrite files offloadctl wrote that were edited by hand since')
    .option('--json', 'the same data as JSON')
    .option('--domain-xml <file>', 'libvirt-xml: the domain XML to edit (e.g. virsh dumpxml DOMAIN > dom.xml)')
    .option(
      '--no-offloadctl-on-boot-path',
      'udev rule and libvirt hook run plain `ethtool -K` instead of `offloadctl apply`',
    )
    .option('--offloadctl-path <path>', 'offloadctl as the boot path calls it (default: this executable)')
    .option('--ethtool-path <path>', 'ethtool as the boot path calls it', '/sbin/ethtool')
    .option(
      '--policy-path <path>',
      'where the policy is installed for the udev rule and libvirt hook',
      '/etc/offloadctl/policy.yaml',
    )
    .addOption(libvirtDirOption())
    .addOption(proxmoxDirOption())
    .option(
      '--apply',
      'xapi: run the xe commands (xe vif-param-set / pif-param-set other-config:ethtool-*); without it they are only printed',
    )
    .option('--xe-path <path>', 'xapi: the xe CLI to run for --apply and --check', 'xe')
    .addHelpText(
      'after',
      `
Targets (what each covers):
  systemd-link    boot: 00-offloadctl-IFACE.link per interface (+ a udev rule for bits no .link key sets)
  netplan         boot: offload keys for physical NICs (netplan has none for bridges, bonds, taps)
  networkmanager  boot: ethtool.feature-* in the profile bound to each interface, + nmcli steps
  ifupdown        boot: offload-* options and post-up ethtool lines in existing stanzas
  tuned           boot: a tuned profile for physical NICs (tuned skips virtual devices)
  udev            VM start: a rule applying the policy to every tap/vnet/vif the kernel adds
  libvirt-hook    VM start: /etc/libvirt/hooks/qemu on "started" (chains an existing hook)
  libvirt-xml     per VM: prints the <driver><host/><guest/></driver> edit for --domain-xml
  xapi            XCP-ng/XenServer: other-config:ethtool-<opt> on VIFs (re-applied at every VIF plug)
                  and PIFs (at PIF plug); prints the xe commands, runs them with --apply,
                  --check reads them back with xe vif-param-get / pif-param-get
  auto            detect what the root has and install the set that covers every interface

Examples:
  offloadctl persist --target auto --dry-run
  offloadctl persist --target auto                 # install; a second run says "unchanged"
  offloadctl persist --check                       # exit 1 when something would be lost
  offloadctl persist --target udev --profile tso-gso-sg-off --no-offloadctl-on-boot-path
  offloadctl persist --target libvirt-xml --domain-xml vm1.xml > vm1-new.xml
  offloadctl persist --target systemd-link --root /tmp/image --json
  offloadctl persist --target auto --uninstall
  offloadctl persist --target xapi --profile tso-gso-off --apply
  offloadctl persist --target xapi --profile tso-gso-off --check

Exit codes: 0 done (or unchanged; --check: no gaps), 1 gaps found (--check) or files left in place
because they were edited by hand, 2 bad usage or input, 3 system error (permission, I/O).`,
    )
    .action(
      action(async (opts: PersistCliOptions, cmd: Command) => {
        const g = globalOpts(cmd);
        const json = Boolean(opts.json || g.json);
        return run(opts, g, json);
      }),
    );
}

async function run(opts: PersistCliOptions, g: GlobalOptions, json: boolean): Promise<number> {
  const [{ OffloadError }, out, persistMod, report] = await Promise.all([
    import('../../model/errors.js'),
    import('../output.js'),
    import('../../persist/persist.js'),
    import('../../persist/report.js'),
  ]);
  const modes = [opts.uninstall, opts.check].filter(Boolean).length;
  if (modes > 1) throw new OffloadError('usage', '--uninstall and --check cannot be used together');
  if (!opts.check && !opts.target)
    throw new OffloadError('usage', 'persist needs --target TARGET (or --check); see --help');
  const target = opts.target as import('../../persist/types.js').PersistTarget | 'auto' | undefined;

  if (opts.uninstall) {
    const reports = persistMod.uninstall(opts.root, target!, { dryRun: opts.dryRun });
    if (json) out.printJson({ uninstall: reports });
    else process.stdout.write(report.installText(reports));
    return reports.some((r) => r.warnings.length) ? 1 : 0;
  }

  const { loadPolicy } = await import('../../policy/index.js');
  const policy = loadPolicy({ profile: opts.profile, file: opts.policy });
  const { withKernel } = await import('../context.js');
  const { observeHost } = await import('../../host/observe.js');
  const { observation, links, featureNames } = await withKernel(g, async (k) => {
    const observation = await observeHost(k, { libvirtDir: opts.libvirtDir, proxmoxDir: opts.proxmoxDir });
    return { observation, links: await k.listLinks(), featureNames: await k.featureNames() };
  });

  if (target === 'xapi') return runXapi(opts, { policy, observation, links }, json);
  if (opts.apply) throw new OffloadError('usage', '--apply is for --target xapi (other targets install files)');

  if (opts.check) {
    const { currentNetns } = await import('../../apply/store.js');
    const ns = currentNetns();
    const r = persistMod.check(
      { policy, observation, links, featureNames, root: opts.root },
      target === 'auto' ? undefined : target,
      {
        host: ns.host,
        netns: ns.name,
      },
    );
    if (json) out.printJson({ policy: policy.name, ...r });
    else process.stdout.write(report.checkText(r));
    return r.gaps > 0 ? 1 : 0;
  }

  let domainXml: string | undefined;
  if (opts.domainXml !== undefined) {
    const { readFileSync } = await import('node:fs');
    try {
      domainXml = readFileSync(opts.domainXml, 'utf8');
    } catch (e) {
      throw new OffloadError(
        'input',
        `cannot read --domain-xml ${opts.domainXml}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  const ctx = {
    policy,
    observation,
    links,
    featureNames,
    root: opts.root,
    domainXml,
    options: {
      policyName: policy.name,
      offloadctlPath: opts.offloadctlPath ?? (await defaultOffloadctlPath()),
      policyPath: opts.policyPath,
      noOffloadctlOnBootPath: !opts.offloadctlOnBootPath,
      ethtoolPath: opts.ethtoolPath,
    },
  };
  if (target === 'libvirt-xml') {
    const o = persistMod.renderTargets(ctx, 'libvirt-xml');
    const r = o.targets[0]!.result;
    if (json) out.printJson({ target: 'libvirt-xml', xml: r.files[0]?.content ?? '', notes: r.notes });
    else {
      process.stdout.write(r.files[0]?.content ?? '');
      for (const n of r.notes) out.warn(n);
    }
    return 0;
  }
  const o = persistMod.persist(ctx, target!, { dryRun: opts.dryRun, force: opts.force });
  if (json) out.printJson(report.persistJson(o, Boolean(opts.dryRun)));
  else process.stdout.write(report.persistText(o, Boolean(opts.dryRun)));
  return o.targets.some((t) => t.install?.warnings.length) ? 1 : 0;
}

/** The xapi target: print the xe commands, run them (--apply), or read them back (--check). */
async function runXapi(
  opts: PersistCliOptions,
  ctx: {
    policy: import('../../model/types.js').Policy;
    observation: import('../../model/types.js').Observation;
    links: readonly import('../../model/types.js').LinkInfo[];
  },
  json: boolean,
): Promise<number> {
  const [{ OffloadError }, out, xapi, { renderXapi }] = await Promise.all([
    import('../../model/errors.js'),
    import('../output.js'),
    import('../../persist/xapi.js'),
    import('../../persist/render/xapi.js'),
  ]);
  if (opts.uninstall || opts.dryRun || opts.domainXml)
    throw new OffloadError('usage', '--target xapi takes --apply or --check (it installs no files)');
  if (opts.apply && opts.check) throw new OffloadError('usage', '--apply and --check cannot be used together');
  const plan = await xapi.planXapiFor({ ...ctx, root: opts.root });
  if (opts.apply || opts.check) {
    const steps = opts.apply ? await xapi.applyXapi(plan, opts.xePath) : await xapi.checkXapi(plan, opts.xePath);
    if (json)
      out.printJson({
        target: 'xapi',
        policy: ctx.policy.name,
        mode: opts.apply ? 'apply' : 'check',
        steps,
        notes: plan.notes,
      });
    else {
      process.stdout.write(xapi.xapiStepsText(steps, opts.apply ? 'apply' : 'check'));
      for (const n of plan.notes) out.warn(n);
    }
    return steps.every((s) => s.ok) ? 0 : 1;
  }
  const { selectedInterfaces } = await import('../../persist/inputs.js');
  const { fsRoot } = await import('../../persist/root.js');
  const r = renderXapi({
    interfaces: selectedInterfaces(ctx.policy, ctx.observation, ctx.links),
    vmSchemes: [],
    root: fsRoot(opts.root),
    options: {
      policyName: ctx.policy.name,
      offloadctlPath: '',
      policyPath: '',
      noOffloadctlOnBootPath: true,
      ethtoolPath: '',
    },
  });
  if (json)
    out.printJson({
      target: 'xapi',
      policy: ctx.policy.name,
      commands: r.commands,
      settings: plan.settings,
      coverage: r.coverage,
      notes: r.notes,
    });
  else {
    process.stdout.write(
      r.commands.length
        ? r.commands.join('\n') + '\n'
        : '# nothing for XAPI to keep: the policy selects no XAPI VIF or PIF\n',
    );
    for (const n of r.notes) out.warn(n);
  }
  return 0;
}

/** The executable running now (bin/offloadctl or an npm -g install), as the boot path should call it. */
async function defaultOffloadctlPath(): Promise<string> {
  const { realpathSync } = await import('node:fs');
  const script = process.argv[1];
  if (script && /offloadctl$/.test(script)) {
    try {
      return realpathSync(script);
    } catch {
      /* fall through */
    }
  }
  return '/usr/local/bin/offloadctl';
}

export type { PersistCliOptions };
