import { OffloadError } from '../model/errors.js';
import type { Policy } from '../model/types.js';
import { PROFILES, findProfile } from './profiles.js';
import { didYouMean } from './suggest.js';

export interface LoadPolicyOptions {
  /** A built-in profile name (`--profile`). */
  profile?: string;
  /** A YAML policy file (`--policy`). */
  file?: string;
}

export function checkPolicyOptions(opts: LoadPolicyOptions): void {
  if (opts.profile !== undefined && opts.file !== undefined) {
    throw new OffloadError('usage', '--profile and --policy cannot be used together');
  }
}

/** A built-in profile (a copy: callers may change it); unknown names are a usage error. */
export function loadProfile(name: string): Policy {
  const p = findProfile(name);
  if (!p) {
    const names = PROFILES.map((x) => x.name);
    throw new OffloadError(
      'usage',
      `unknown profile ${JSON.stringify(name)} (built-in profiles: ${names.join(', ')})` + didYouMean(name, names),
    );
  }
  return structuredClone(p);
}
