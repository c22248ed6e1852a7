import { readFileSync } from 'node:fs';
import { OffloadError } from '../model/errors.js';
import type { Policy } from '../model/types.js';
import { parsePolicyText } from './parse.js';
import { DEFAULT_PROFILE, PROFILES, findProfile } from './profiles.js';
import { didYouMean } from './suggest.js';

export interface LoadPolicyOptions {
  /** A built-in profile name (`--profile`). */
  profile?: string;
  /** A YAML policy file (`--policy`). */
  file?: string;
}

/**
 * The policy a command works with: `--profile NAME` or `--policy FILE` (not both); neither →
 * the default profile tso-gso-off. Bad input throws OffloadError with exit code 2.
 */
export function loadPolicy(opts: LoadPolicyOptions = {}): Policy {
  if (opts.profile !== undefined && opts.file !== undefined) {
    throw new OffloadError('usage', '--profile and --policy cannot be used together');
  }
  if (opts.file !== undefined) return loadPolicyFile(opts.file);
  const name = opts.profile ?? DEFAULT_PROFILE;
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

export function loadPolicyFile(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.code ?? err.message;
    throw new OffloadError(err.code === 'ENOENT' ? 'not-found' : 'input', `cannot read policy file ${file}: ${why}`);
  }
  return parsePolicyText(text, file);
}
