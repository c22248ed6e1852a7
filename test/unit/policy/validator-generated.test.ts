import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GENERATED_PATH, generateValidatorSource } from '../../../src/policy/gen-validator.js';

test('policy-validator.generated.ts is what ajv (strict) compiles from schema.ts today', () => {
  assert.equal(
    readFileSync(GENERATED_PATH, 'utf8'),
    generateValidatorSource(),
    'stale: run `node --import tsx src/policy/gen-validator.ts` after changing src/policy/schema.ts',
  );
});
