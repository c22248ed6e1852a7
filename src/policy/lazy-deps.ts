import { createRequire } from 'node:module';
import type * as YamlNs from 'yaml';
import type Picomatch from 'picomatch';

/**
 * yaml takes ~20-30 ms to load. Only policy files and YAML output need it, so it is required on
 * first use instead of being loaded by every command that merely uses a built-in profile (`audit`,
 * `plan`, `apply`, the agent). Synchronous on purpose: loadPolicy() is synchronous. (ajv is not
 * loaded at run time at all: the schema is compiled ahead of time, see gen-validator.ts.)
 */
const req = createRequire(import.meta.url);

let yamlMod: typeof YamlNs | undefined;

export function yamlLib(): typeof YamlNs {
  yamlMod ??= req('yaml') as typeof YamlNs;
  return yamlMod;
}

let picomatchMod: typeof Picomatch | undefined;

/**
 * picomatch (~60 KiB, ~3 ms to load) likewise: only globs need it, and the built-in profiles
 * select with `{}` — `apply`/`plan`/`audit` with a profile and no `--interface` never match a glob.
 */
export function picomatchLib(): typeof Picomatch {
  picomatchMod ??= req('picomatch') as typeof Picomatch;
  return picomatchMod;
}
