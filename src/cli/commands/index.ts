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

type Register = (program: Command) => void;

const registrations: Register[] = [
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
  // Add `(await import ...)`-free static imports above and list them here, one per command file.
];

export function registerCommands(program: Command): void {
  for (const r of registrations) r(program);
}
