import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OffloadError, exitCodeFor } from '../../../src/model/errors.js';

test('error categories map to the documented exit codes', () => {
  assert.equal(exitCodeFor('usage'), 2);
  assert.equal(exitCodeFor('input'), 2);
  assert.equal(exitCodeFor('not-found'), 2);
  assert.equal(exitCodeFor('permission'), 3);
  assert.equal(exitCodeFor('unsupported'), 3);
  assert.equal(exitCodeFor('system'), 3);
  assert.equal(new OffloadError('input', 'x').exitCode, 2);
});
