import type { Policy } from '../model/types.js';

/**
 * Built-in profiles: policies of the same form as a policy file, so `--profile NAME` and
 * `--policy FILE` (which may `extends: NAME`) go through the same resolve/audit/plan code.
 * Rules select every interface; loopback is never selected unless a rule names role `loopback`
 * (see select.ts), which is what "every interface but loopback, bridges included" asks.
 */
export const DEFAULT_PROFILE = 'tso-gso-off';

export const PROFILES: readonly Policy[] = [
  {
    name: 'tso-gso-off',
    description:
      'The common advice for virtio guests: TSO (every tx-tcp*-segmentation bit) and GSO ' +
      '(tx-generic-segmentation) off on every interface but loopback, bridges included.',
    source: 'builtin',
    rules: [{ name: 'tso-gso-off', select: {}, features: { tso: 'off', gso: 'off' } }],
  },
  {
    name: 'tso-gso-sg-off',
    description:
      'The Xen variant of the advice: TSO, GSO and scatter-gather (tx-scatter-gather*) off on every ' +
      'interface but loopback, bridges included.',
    source: 'builtin',
    rules: [{ name: 'tso-gso-sg-off', select: {}, features: { tso: 'off', gso: 'off', sg: 'off' } }],
  },
  {
    name: 'offloads-on',
    description:
      'The way back from the other two: TSO, GSO, scatter-gather, GRO and tx/rx checksumming turned on for ' +
      "every interface but loopback (most drivers' defaults; veth defaults GRO off, so it deviates there).",
    source: 'builtin',
    rules: [
      {
        name: 'offloads-on',
        select: {},
        features: { tso: 'on', gso: 'on', sg: 'on', gro: 'on', tx: 'on', rx: 'on' },
      },
    ],
  },
];

export function findProfile(name: string): Policy | undefined {
  return PROFILES.find((p) => p.name === name);
}

/** Name and description of every built-in profile, default first. */
export function listProfiles(): { name: string; description: string; default: boolean }[] {
  return PROFILES.map((p) => ({ name: p.name, description: p.description ?? '', default: p.name === DEFAULT_PROFILE }));
}
