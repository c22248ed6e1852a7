import type { Command } from 'commander';

/**
 * Every command registers itself here. A command file defines its flags and help cheaply and
 * imports its implementation lazily inside the action, so `offloadctl status` does not load the
 * agent's HTTP server or the bench's statistics.
 */
import { register as status } from './status.js';
import { register as lab } from './lab.js';
import { register as audit } from './audit.js';
import { register as profiles } from './profiles.js';
import { register as plan } from './plan.js';
import { register as apply } from './apply.js';
import { register as restore } from './restore.js';
import { register as snapshots } from './snapshots.js';
import { register as agent } from './agent.js';
import { register as bench } from './bench.js';
import { register as persist } from './persist.js';
import { register as doctor } from './doctor.js';
import { register as explain } from './explain.js';
import { register as effect } from './effect.js';

type Register = (program: Command) => void;

/** Command name → its registration (the name its file passes to program.command()). */
const registrations: Record<string, Register> = {
  status,
  lab,
  audit,
  profiles,
  plan,
  apply,
  restore,
  snapshots,
  agent,
  bench,
  persist,
  doctor,
  explain,
  effect,
  // Add one static import above and one entry here per command file.
};

/**
 * Register the command `only` names, or every command when `only` is null or not a command
 * (`--help`, `help CMD`, no command, a typo commander should suggest a fix for). A one-shot
 * `offloadctl apply` then builds one command's options and help instead of thirteen.
 */
export function registerCommands(program: Command, only: string | null = null): void {
  const one = only !== null && Object.hasOwn(registrations, only) ? registrations[only] : undefined;
  if (one) one(program);
  else for (const r of Object.values(registrations)) r(program);
}
