import { Option, type Command } from 'commander';
import { action, globalOpts } from '../action.js';

interface LabOptions {
  name: string;
  ports?: string;
  json?: boolean;
}

const nameOption = () =>
  new Option('--name <name>', 'lab name (namespaces are olab-NAME-hv, -up, -gN)').default('default');

export function register(program: Command): void {
  const lab = program
    .command('lab')
    .description(
      'A simulated KVM host built from network namespaces, for trying offloadctl safely: ' +
        'a hypervisor namespace with bridge br0, an uplink, and VM ports (veths to guest namespaces, ' +
        'taps with vnet_hdr). Needs root. Nothing is created in the root namespace.',
    )
    .addHelpText(
      'after',
      `
Examples:
  offloadctl lab up --name demo --ports 4
  offloadctl lab status --name demo
  offloadctl --netns olab-demo-hv status --libvirt-dir /run/offloadctl/lab/demo/libvirt
  ip netns exec olab-demo-g1 ping -c1 10.77.1.2      # guest to guest across br0
  offloadctl lab down --name demo`,
    );

  lab
    .command('up')
    .description('build the lab (a no-op when a complete lab of that name is up already)')
    .addOption(nameOption())
    .option('--ports <n>', 'VM ports on br0, alternating veth (guest namespace) and tap (1-1000)', '4')
    .option('--json', 'print the lab description (as lab status --json)')
    .addHelpText(
      'after',
      `
Example:
  offloadctl lab up --name demo --ports 6

Exit codes: 0 built (or already up), 2 bad name or --ports, 3 not root or the kernel refused.`,
    )
    .action(
      action(async (opts: LabOptions, cmd: Command) => {
        const { OffloadError } = await import('../../model/errors.js');
        const ports = Number(opts.ports ?? '4');
        if (!/^\d+$/.test(opts.ports ?? '4'))
          throw new OffloadError('usage', `--ports must be an integer, got ${opts.ports}`);
        const [{ labUp }, view, out] = await Promise.all([
          import('../../lab/lab.js'),
          import('../../lab/lab-view.js'),
          import('../output.js'),
        ]);
        const r = await labUp(opts.name, ports);
        if (opts.json || globalOpts(cmd).json) out.printJson(r.status);
        else {
          if (!r.created) process.stderr.write(`offloadctl: lab ${opts.name} is up already; nothing changed\n`);
          process.stdout.write(view.labStatusText(r.status));
        }
        return 0;
      }),
    );

  lab
    .command('down')
    .description('remove everything the lab made: its namespaces, records and state file')
    .addOption(nameOption())
    .option('--json', 'print what was removed as JSON')
    .addHelpText(
      'after',
      `
Example:
  offloadctl lab down --name demo

Exit codes: 0 removed (or nothing to remove), 2 bad name, 3 not root.`,
    )
    .action(
      action(async (opts: LabOptions, cmd: Command) => {
        const [{ labDown }, out] = await Promise.all([import('../../lab/lab.js'), import('../output.js')]);
        const r = await labDown(opts.name);
        if (opts.json || globalOpts(cmd).json) out.printJson(r);
        else if (!r.existed) process.stdout.write(`lab ${opts.name}: nothing to remove\n`);
        else process.stdout.write(`lab ${opts.name}: removed ${r.removed.length} namespace(s)\n`);
        return 0;
      }),
    );

  lab
    .command('status')
    .description('describe a lab: namespaces, bridge, ports, guests and their addresses')
    .addOption(nameOption())
    .option('--json', '{ name, state, hypervisor, bridge, uplink, ports, guests, libvirtDir, ... }')
    .addHelpText(
      'after',
      `
Examples:
  offloadctl lab status --name demo
  offloadctl lab status --name demo --json | jq -r .hypervisor

Exit codes: 0 up, 1 partial or broken (namespaces missing), 2 no such lab or bad name.`,
    )
    .action(
      action(async (opts: LabOptions, cmd: Command) => {
        const [{ labStatus }, view, out] = await Promise.all([
          import('../../lab/lab.js'),
          import('../../lab/lab-view.js'),
          import('../output.js'),
        ]);
        const st = await labStatus(opts.name);
        if (opts.json || globalOpts(cmd).json) out.printJson(st);
        else process.stdout.write(view.labStatusText(st));
        return st.state === 'up' ? 0 : 1;
      }),
    );
}
