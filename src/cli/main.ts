import { Command, CommanderError, Option } from 'commander';
import { isOffloadError, EXIT } from '../model/errors.js';
import { registerCommands } from './commands/index.js';
import { versionText } from './version.js';

export { buildInfo } from './version.js'; // for scripts/gen-docs.mjs

/** `only`: register just this command (see registerCommands); null: all of them. */
export function buildProgram(only: string | null = null): Command {
  const program = new Command('offloadctl')
    .description(
      'See, audit, change, persist, enforce and measure NIC offloads (TSO, GSO, GRO, SG, checksums) ' +
        'on KVM and Xen host nodes: bridges, VM taps, Xen vifs, bonds, VLANs and uplinks.',
    )
    .option('-V, --version', 'print the version, git commit and build date, and which netlink addon loads')
    .on('option:version', () => {
      // Computed only when asked: naming the addon loads it.
      process.stdout.write(`${versionText()}\n`);
      throw new CommanderError(0, 'commander.version', 'version');
    })
    .option('--netns <name>', 'run the command inside network namespace NAME (ip netns exec)')
    .addOption(
      new Option('--backend <backend>', 'kernel access: ethtool netlink, or the ethtool CLI for old kernels')
        .choices(['auto', 'netlink', 'ethtool'])
        .default('auto'),
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok/compliant, 1 deviations or findings, 2 bad usage or input, 3 system error\n' +
        '(permission, missing kernel support).',
    );
  registerCommands(program, only);
  return program;
}

/**
 * The command argv names: the first operand, skipping the root options (`--backend` takes a
 * value). Null when there is none.
 */
export function commandName(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1] ?? null;
    if (a === '--backend') i++;
    else if (!a.startsWith('-')) return a;
  }
  return null;
}

/** Strip `--netns NAME` / `--netns=NAME` from argv; return the name. */
function takeNetns(argv: string[]): { ns: string | null; rest: string[] } {
  const rest: string[] = [];
  let ns: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--netns' && i + 1 < argv.length) {
      ns = argv[++i]!;
    } else if (a.startsWith('--netns=')) {
      ns = a.slice('--netns='.length);
    } else rest.push(a);
  }
  return { ns, rest };
}

export async function main(argv: string[] = process.argv): Promise<number> {
  // `offloadctl status | head`: a closed stdout is the reader's choice, not our error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  const { ns, rest } = takeNetns(argv.slice(2));
  // Imported only with --netns: it loads node:child_process (~2-4 ms at every start).
  const reexec = ns !== null ? await import('../kernel/reexec.js') : null;
  if (ns !== null && reexec && !reexec.inNetns(ns)) {
    const { reexecInNetns } = reexec;
    try {
      return await reexecInNetns(ns, [argv[1]!, ...rest]);
    } catch (e) {
      if (!isOffloadError(e)) throw e;
      process.stderr.write(`offloadctl: ${e.message}\n`);
      return e.exitCode;
    }
  }
  const program = buildProgram(commandName(rest));
  try {
    await program.parseAsync([argv[0]!, argv[1]!, ...rest]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return EXIT.ok;
      return EXIT.usage; // commander already printed the message
    }
    if (isOffloadError(e)) {
      process.stderr.write(`offloadctl: ${e.message}\n`);
      return e.exitCode;
    }
    const err = e as NodeJS.ErrnoException;
    process.stderr.write(`offloadctl: internal error: ${err?.stack ?? String(e)}\n`);
    return EXIT.system;
  }
}
