import type { Command } from 'commander';
import { action, globalOpts } from '../action.js';

export function register(program: Command): void {
  program
    .command('profiles')
    .description('List the built-in profiles, or print one as a policy file to start from.')
    .argument('[name]', 'a profile to print as YAML (a policy file that does what the profile does)')
    .option('--json', 'profiles (name, description, default, rules) as JSON')
    .addHelpText(
      'after',
      `
Examples:
  offloadctl profiles                         # name, default, description
  offloadctl profiles tso-gso-off             # as YAML, e.g. > /etc/offloadctl/policy.yaml
  offloadctl profiles --json

Exit codes: 0 ok, 2 unknown profile.`,
    )
    .action(
      action(async (name: string | undefined, opts: { json?: boolean }, cmd: Command) => {
        const g = globalOpts(cmd);
        const [policy, out] = await Promise.all([import('../../policy/index.js'), import('../output.js')]);
        if (name !== undefined) {
          const p = policy.loadPolicy({ profile: name });
          if (opts.json || g.json) out.printJson(p);
          else process.stdout.write(policy.policyToYaml(p));
          return 0;
        }
        const list = policy.PROFILES.map((p) => ({
          name: p.name,
          default: p.name === policy.DEFAULT_PROFILE,
          description: p.description ?? '',
          rules: p.rules,
        }));
        if (opts.json || g.json) {
          out.printJson({ profiles: list });
          return 0;
        }
        process.stdout.write(
          out.renderTable(
            ['PROFILE', 'DEFAULT', 'DESCRIPTION'],
            list.map((p) => [p.name, p.default ? 'yes' : '', p.description]),
          ),
        );
        return 0;
      }),
    );
}
