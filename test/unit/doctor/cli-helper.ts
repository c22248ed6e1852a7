import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./run-cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Run `offloadctl ARGS` from source; optional argv prefix (e.g. ip netns exec NS). */
export function cli(
  args: readonly string[],
  opts: { input?: string; prefix?: readonly string[] } = {},
): { code: number; stdout: string; stderr: string } {
  const argv = [...(opts.prefix ?? []), process.execPath, '--import', 'tsx', SCRIPT, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
