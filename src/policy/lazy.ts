import type { Policy } from '../model/types.js';
import { DEFAULT_PROFILE } from './profiles.js';
import { checkPolicyOptions, loadProfile, type LoadPolicyOptions } from './profile-options.js';

export { checkPolicyOptions, loadProfile, type LoadPolicyOptions } from './profile-options.js';

/**
 * The policy API of one-shot commands (plan, apply, audit): everything but the policy-file parser.
 * parse.ts brings the generated schema validator (~64 KiB of code, ~5 ms to load); a built-in
 * `--profile` does not need it, so loadPolicyLazy imports it only for `--policy FILE`.
 */
export { filterInterfaces, globProblem, requireSelection, selectByInterfaceGlobs } from './select.js';
export { resolvePolicy } from './resolve.js';
export { expandFeatureName } from './short-names.js';

/** loadPolicy (load.ts) without loading the policy-file parser unless a file is given. */
export async function loadPolicyLazy(opts: LoadPolicyOptions = {}): Promise<Policy> {
  checkPolicyOptions(opts);
  if (opts.file !== undefined) return (await import('./load.js')).loadPolicyFile(opts.file);
  return loadProfile(opts.profile ?? DEFAULT_PROFILE);
}
