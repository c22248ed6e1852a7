import { readFileSync } from 'node:fs';
import { OffloadError } from '../model/errors.js';
import type { Policy } from '../model/types.js';
import { parsePolicyText } from './parse.js';
import { DEFAULT_PROFILE } from './profiles.js';
import { checkPolicyOptions, loadProfile, type LoadPolicyOptions } from './profile-options.js';

export type { LoadPolicyOptions };

/**
 * The policy a command works with: `--profile NAME` or `--policy FILE` (not both); neither →
 * the default profile tso-gso-off. Bad input throws OffloadError with exit code 2.
 */
export function loadPolicy(opts: LoadPolicyOptions = {}): Policy {
  checkPolicyOptions(opts);
  if (opts.file !== undefined) return loadPolicyFile(opts.file);
  return loadProfile(opts.profile ?? DEFAULT_PROFILE);
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
