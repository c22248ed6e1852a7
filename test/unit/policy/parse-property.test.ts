import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parsePolicyText } from '../../../src/policy/parse.js';
import { isOffloadError } from '../../../src/model/errors.js';

/**
 * Property: whatever the text, the parser either returns a Policy or throws OffloadError('input')
 * whose message starts with `file:line:col: ` pointing inside the text. It never crashes with
 * anything else.
 */
const FILE = 'fuzz.yaml';

function check(text: string): void {
  let policy;
  try {
    policy = parsePolicyText(text, FILE);
  } catch (e) {
    if (!isOffloadError(e)) throw new Error(`not an OffloadError for ${JSON.stringify(text)}: ${String(e)}`);
    assert.equal(e.category, 'input');
    const m = /^fuzz\.yaml:(\d+):(\d+): \S/.exec(e.message);
    assert.ok(m, `unlocated message: ${e.message}`);
    const lines = text.split(/\r\n|\r|\n/).length;
    assert.ok(Number(m[1]) >= 1 && Number(m[1]) <= lines + 1, `line ${m[1]} outside 1..${lines + 1}: ${e.message}`);
    assert.ok(Number(m[2]) >= 1);
    assert.ok(!e.message.includes('\n'));
    return;
  }
  assert.equal(typeof policy.name, 'string');
  assert.ok(Array.isArray(policy.rules) && policy.rules.length > 0);
  for (const r of policy.rules) {
    assert.equal(typeof r.name, 'string');
    for (const v of Object.values(r.features)) assert.ok(v === 'on' || v === 'off');
  }
}

const word = fc.constantFrom(
  'name',
  'rules',
  'select',
  'exclude',
  'features',
  'extends',
  'description',
  'role',
  'kind',
  'driver',
  'master',
  'vmPlatform',
  'tso',
  'gso',
  'sg',
  'gro',
  'tsoo',
  'on',
  'off',
  'true',
  'uplink',
  'bridge',
  'vm-port',
  'loopback',
  'xen',
  'vnet*',
  'tap[',
  '{a,b',
  'tso-gso-off',
  'nope',
  '__proto__',
  'constructor',
  'tx-tcp-segmentation',
  'generic-segmentation-offload',
  '',
  '*',
  'a/b',
  'line\nbreak',
  'tab\there',
  'q"uote',
  'vnet*\n',
  'ünï',
  '\u0000',
);
const scalar = fc.oneof(
  word,
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.double(),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, scalar, tie('list'), tie('map')),
  list: fc.array(tie('node'), { maxLength: 4 }),
  map: fc.dictionary(word, tie('node'), { maxKeys: 5 }),
})).node;

/** Policy-shaped objects with random damage: reaches the schema and the semantic checks. */
const selector = fc.record(
  {
    role: fc.array(fc.oneof(word, fc.constantFrom('uplink', 'vm-port', 'bridge')), { maxLength: 3 }),
    name: fc.oneof(fc.array(word, { maxLength: 3 }), word),
    vmPlatform: fc.array(word, { maxLength: 2 }),
    master: fc.array(fc.string(), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);
const policyLike = fc.record(
  {
    name: fc.oneof(word, fc.integer()),
    extends: word,
    rules: fc.array(
      fc.record(
        {
          name: word,
          select: fc.oneof(selector, value),
          exclude: selector,
          features: fc.oneof(
            fc.dictionary(word, fc.oneof(fc.constantFrom('on', 'off'), scalar), { maxKeys: 4 }),
            value,
          ),
          extra: value,
        },
        { requiredKeys: [] },
      ),
      { maxLength: 3 },
    ),
  },
  { requiredKeys: [] },
);

test('property: random text never crashes the parser', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => check(s)),
    { numRuns: 400 },
  );
});

test('property: random YAML values never crash the parser', () => {
  fc.assert(
    fc.property(value, (v) => check(stringify(v))),
    { numRuns: 400 },
  );
});

test('property: damaged policy-shaped documents: a Policy or a located input error', () => {
  fc.assert(
    fc.property(policyLike, fc.boolean(), (p, flow) => check(stringify(p, flow ? { collectionStyle: 'flow' } : {}))),
    { numRuns: 600 },
  );
});

test('property: random edits of a valid policy text: a Policy or a located input error', () => {
  const base =
    'name: my-host\nextends: tso-gso-off\nrules:\n  - name: keep-uplink-gro\n    select: { role: [uplink], name: ["eno*", "enp*"] }\n    exclude: { name: ["enp3s0"] }\n    features: { gro: on, tso: off }\n';
  fc.assert(
    fc.property(fc.nat(base.length), fc.nat(8), fc.string({ maxLength: 6 }), (at, del, ins) =>
      check(base.slice(0, at) + ins + base.slice(at + del)),
    ),
    { numRuns: 800 },
  );
});
