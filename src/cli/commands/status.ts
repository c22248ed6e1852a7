import type { Command } from 'commander';
import { action, globalOpts } from '../action.js';
import { libvirtDirOption, proxmoxDirOption } from '../shared-options.js';

interface StatusOptions {
  json?: boolean;
  all?: boolean;
  libvirtDir?: string;
  proxmoxDir?: string;
}

export function register(program: Command): void {
  program
    .command('status')
    .description(
      'Show every interface, its role, owning VM and offload state (TSO, GSO, GRO, LRO, SG, checksums), ' +
        'straight from the kernel (one dump). Bridge and bond ports are listed under their master. ' +
        'On Open vSwitch hosts (ovsdb-server at $OVS_RUNDIR/db.sock, default /var/run/openvswitch/db.sock) ' +
        'OVS bridges are shown the same way, with roles and VM owners from OVSDB (docs/ovs.md).',
    )
    .argument('[iface...]', 'interface names or globs (vnet*, tap*i*); a bridge brings its ports')
    .option('--json', 'every interface and every kernel feature (active, requested, fixed) as JSON')
    .option('--all', 'table: also loopback, and the RXVLAN/TXVLAN/NTUPLE/RXHASH columns')
    .addOption(libvirtDirOption())
    .addOption(proxmoxDirOption())
    .addHelpText(
      'after',
      `
Cells: on/off as ethtool -k reads the aggregate; "on 2/3" only some changeable members on;
[fixed] cannot be changed; [req on]/[req off] requested differs from active.

Examples:
  offloadctl status                      # every interface but loopback, ports under bridges
  offloadctl status br0                  # br0 and its ports
  offloadctl status 'vnet*' --json       # VM ports, all features, as JSON
  offloadctl --netns olab-demo-hv status --libvirt-dir /run/offloadctl/lab/demo/libvirt
  offloadctl --backend ethtool status    # read through the ethtool CLI instead of netlink

Exit codes: 0 ok, 2 unknown interface or bad usage, 3 system error (kernel support, permission).`,
    )
    .action(
      action(async (ifaces: string[], opts: StatusOptions, cmd: Command) => {
        const g = globalOpts(cmd);
        const [{ observe }, view, out] = await Promise.all([
          import('../context.js'),
          import('../../host/status-view.js'),
          import('../output.js'),
          import('../../kernel/index.js'), // loaded again by observe(): start it now, in parallel
        ]);
        const obs = await observe(g, { libvirtDir: opts.libvirtDir, proxmoxDir: opts.proxmoxDir });
        const selected = view.selectInterfaces(obs, ifaces);
        if (opts.json || g.json) {
          const [{ statusJsonChunks }, { writeChunks }] = await Promise.all([
            import('../../host/status-json.js'),
            import('../write-chunks.js'),
          ]);
          writeChunks(process.stdout, statusJsonChunks(selected));
          return 0;
        }
        const t = view.statusTable(selected, { all: opts.all });
        let text = out.renderTable(t.headers, t.rows);
        if (t.legend.length) text += '\n' + t.legend.join('\n') + '\n';
        process.stdout.write(text);
        return 0;
      }),
    );
}
