/**
 * Policies: built-in profiles and YAML policy files, selectors, and resolving a policy against an
 * observed host (pure). See offloadctl-policy(5) (man/offloadctl-policy.5.mdoc) and docs/reference.md "Policy files".
 */
export { loadPolicy, loadPolicyFile, type LoadPolicyOptions } from './load.js';
export { loadPolicyLazy, loadProfile } from './lazy.js';
export { parsePolicyText } from './parse.js';
export { DEFAULT_PROFILE, PROFILES, findProfile, listProfiles } from './profiles.js';
export { resolvePolicy } from './resolve.js';
export {
  filterInterfaces,
  globProblem,
  isGlob,
  matchesSelector,
  nameGlobProblem,
  ruleSelects,
  selectByInterfaceGlobs,
} from './select.js';
export { expandFeatureName, lookupShortName, shortNameOf, SHORT_NAMES } from './short-names.js';
export { policyToYaml } from './serialize.js';
