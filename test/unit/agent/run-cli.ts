import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

/** Run the CLI from source in a child process (its stdout must not mix with the test reporter's). */
export function cliFromSource(args: string[]): { code: number; err: string; out: string } {
  const code = `import { main } from ${JSON.stringify(MAIN)}; process.exitCode = await main(['node', 'offloadctl', ...JSON.parse(process.env.OLC_ARGS)]);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8',
    env: { ...process.env, OLC_ARGS: JSON.stringify(args) },
  });
  return { code: r.status ?? -1, err: r.stderr, out: r.stdout };
}
