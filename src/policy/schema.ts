import type { Policy, Role, Rule, Selector, VmPlatform } from '../model/types.js';

/**
 * JSON Schema of a policy file. ajv (strict mode) compiles it ahead of time into
 * policy-validator.generated.ts (gen-validator.ts; a unit test keeps the two in sync), so the CLI
 * never loads or compiles ajv at run time. It covers shape, keys and enums; names that need a table
 * or a parser (feature names, globs, `extends`) are checked afterwards in parse.ts, with the same
 * file:line:col reporting.
 *
 * Non-empty strings are `not: { const: '' }` rather than `minLength: 1`: minLength needs ajv's
 * ucs2length at run time, the inline comparison needs nothing.
 */

export const ROLES = [
  'loopback',
  'bridge',
  'vm-port',
  'uplink',
  'bond',
  'vlan',
  'veth',
  'physical',
  'tunnel',
  'firewall',
  'other',
] as const satisfies readonly Role[];
export const PLATFORMS = ['libvirt', 'proxmox', 'openstack', 'xen'] as const satisfies readonly VmPlatform[];

// Compile-time check that the lists name every member of the unions.
type Missing<All, Listed> = Exclude<All, Listed>;
const _rolesComplete: Missing<Role, (typeof ROLES)[number]> extends never ? true : never = true;
const _platformsComplete: Missing<VmPlatform, (typeof PLATFORMS)[number]> extends never ? true : never = true;
void _rolesComplete;
void _platformsComplete;

export const POLICY_KEYS = ['name', 'description', 'extends', 'rules'] as const satisfies readonly (keyof Policy)[];
export const RULE_KEYS = ['name', 'select', 'exclude', 'features'] as const satisfies readonly (keyof Rule)[];
export const SELECTOR_KEYS = [
  'role',
  'name',
  'kind',
  'driver',
  'master',
  'vmPlatform',
] as const satisfies readonly (keyof Selector)[];
// A field added to Selector or Rule must be added to the file format too (or this fails to compile).
const _selectorComplete: Missing<keyof Selector, (typeof SELECTOR_KEYS)[number]> extends never ? true : never = true;
const _ruleComplete: Missing<keyof Rule, (typeof RULE_KEYS)[number]> extends never ? true : never = true;
void _selectorComplete;
void _ruleComplete;

const nonEmpty = { type: 'string', not: { const: '' } } as const;
const globList = { type: 'array', minItems: 1, items: nonEmpty } as const;

const selector = {
  type: 'object',
  additionalProperties: false,
  properties: {
    role: { type: 'array', minItems: 1, items: { type: 'string', enum: ROLES } },
    name: globList,
    kind: globList,
    driver: globList,
    master: globList,
    vmPlatform: { type: 'array', minItems: 1, items: { type: 'string', enum: PLATFORMS } },
  },
} as const;

export const POLICY_SCHEMA = {
  $id: 'https://offloadctl.invalid/policy.schema.json',
  type: 'object',
  additionalProperties: false,
  properties: {
    name: nonEmpty,
    description: { type: 'string' },
    extends: nonEmpty,
    rules: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['features'],
        properties: {
          name: nonEmpty,
          select: selector,
          exclude: { ...selector, minProperties: 1 },
          features: {
            type: 'object',
            minProperties: 1,
            // enum without `type`: one error ("must be on or off") for any wrong value, string or not.
            additionalProperties: { enum: ['on', 'off'] },
          },
        },
      },
    },
  },
} as const;
