import { OffloadError } from '../model/errors.js';
import type { Policy } from '../model/types.js';
import { DEFAULT_PROFILE, PROFILES, findProfile } from './profiles.js';
import { didYouMean } from './suggest.js';

/**
 * The policy API of one-shot commands (plan, apply, audit): everything but the policy-file parser.
 * parse.ts brings the generated schema validator (~64 KiB of code, ~5 ms to load); a built-in
 * `--profile` does not need it, so loadPolicyLazy imports it only for `--policy FILE`.
 */
export { filterInterfaces, globProblem, requireSelection, selectByInterfaceGlobs } from './select.js';
export { resolvePolicy } from './resolve.js';
export { expandFeatureName } from './short-names.js';

export interface LoadPolicyOptions {
  /** A built-in profile name (`--profile`). */
  profile?: string;
  /** A YAML policy file (`--policy`). */
  file?: string;
}

/** loadPolicy (load.ts) without loading the policy-file parser unless a file is given. */
export async function loadPolicyLazy(opts: LoadPolicyOptions = {}): Promise<Policy> {
  checkPolicyOptions(opts);
  if (opts.file !== undefined) return (await import('./load.js')).loadPolicyFile(opts.file);
  return loadProfile(opts.profile ?? DEFAULT_PROFILE);
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
