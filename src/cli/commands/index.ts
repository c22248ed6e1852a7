import type { Command } from 'commander';

/**
 * Every command registers itself here. A command file defines its flags and help cheaply and
 * imports its implementation lazily inside the action, so `offloadctl status` does not load the
 * agent's HTTP server or the bench's statistics.
 */
type Register = (program: Command) => void;

const registrations: Register[] = [
  // Add `(await import ...)`-free static imports above and list them here, one per command file.
];

export function registerCommands(program: Command): void {
  for (const r of registrations) r(program);
}
