import type { Command } from 'commander';
import { action, globalOpts } from '../action.js';

export function register(program: Command): void {
  program
    .command('explain')
    .description(
      'Explain an offload feature: what it does, where in the stack, what turning it off costs,\n' +
        'why captures show "incorrect" checksums or packets bigger than the MTU, and which doctor\n' +
        'findings relate to it.',
    )
    .argument('[feature]', 'ethtool short name (tso, gso, gro, lro, sg, tx, rx, ...), ethtool label or kernel name')
    .option('--list', 'list every name explain knows')
    .option('--json', 'the explanation as JSON')
    .addHelpText(
      'after',
      `
Examples:
  offloadctl explain tso
  offloadctl explain tx-generic-segmentation
  offloadctl explain generic-receive-offload --json
  offloadctl explain --list

Exit codes: 0 explained, 2 unknown feature name (with the closest names) or no name given.`,
    )
    .action(
      action(async (feature: string | undefined, opts: { list?: boolean; json?: boolean }, cmd: Command) => {
        const g = globalOpts(cmd);
        const [ex, out, { OffloadError }] = await Promise.all([
          import('../../doctor/explain.js'),
          import('../output.js'),
          import('../../model/errors.js'),
        ]);
        if (opts.list) {
          const names = ex.explainableNames().sort();
          if (opts.json || g.json) out.printJson(names);
          else process.stdout.write(names.join('\n') + '\n');
          return 0;
        }
        if (!feature)
          throw new OffloadError('usage', 'explain needs a feature name (offloadctl explain --list shows them)');
        const e = ex.explainFeature(feature);
        if (opts.json || g.json) out.printJson(e);
        else process.stdout.write(ex.renderExplanation(e));
        return 0;
      }),
    );
}
