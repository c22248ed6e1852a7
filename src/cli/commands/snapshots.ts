import type { Command } from 'commander';
import { action, globalOpts } from '../action.js';

interface SnapshotsCliOptions {
  stateDir: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('snapshots')
    .description('List the snapshots apply took (oldest first): id, time, policy, interfaces, status.')
    .option(
      '--state-dir <dir>',
      'where snapshots and journals are kept (must be owned by the running user and not writable by group or others)',
      '/var/lib/offloadctl',
    )
    .option('--json', 'the list as JSON')
    .addHelpText(
      'after',
      `
Status: applied; partial (--keep-going with failures); rolled-back (failed, undone by apply
itself); interrupted (the apply never finished: killed or crashed; restore it); restored;
corrupt (the file cannot be read as a snapshot: truncated, wrong types; the reason is printed on
stderr, and \`restore --last\` skips it).

Examples:
  offloadctl snapshots
  offloadctl snapshots --state-dir /root/olc-state --json

Exit codes: 0 ok (also when some snapshots are corrupt), 2 bad usage, 3 system error (state
directory unreadable, or refused: not owned by the running user, or writable by group or others).`,
    )
    .action(
      action(async (opts: SnapshotsCliOptions, cmd: Command) => {
        const g = globalOpts(cmd);
        const [{ SnapshotStore }, out] = await Promise.all([import('../../apply/store.js'), import('../output.js')]);
        const store = new SnapshotStore(opts.stateDir);
        const list = store.list();
        for (const s of list)
          if (s.status === 'corrupt') process.stderr.write(`offloadctl: snapshot ${s.id} is corrupt: ${s.error}\n`);
        if (opts.json || g.json) {
          out.printJson(list);
          return 0;
        }
        if (list.length === 0) {
          process.stdout.write(`no snapshots in ${store.dir}\n`);
          return 0;
        }
        process.stdout.write(
          out.renderTable(
            ['ID', 'CREATED', 'POLICY', 'NETNS', 'INTERFACES', 'STATUS'],
            list.map((s) => [
              s.id,
              s.createdAt,
              s.policy,
              s.netns ?? '-',
              String(s.interfaces),
              s.status + (s.restoredAt ? ` ${s.restoredAt}` : ''),
            ]),
          ),
        );
        return 0;
      }),
    );
}
