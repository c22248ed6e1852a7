import type { Command } from 'commander';
import type { GlobalOptions } from '../model/global-options.js';

export type { GlobalOptions } from '../model/global-options.js';

export function globalOpts(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/**
 * Wrap a command handler: its returned number becomes the exit code. Errors propagate to main(),
 * which prints one line and exits with the error's category code.
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<number | void> | number | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const code = await fn(...args);
    if (typeof code === 'number') process.exitCode = code;
  };
}
