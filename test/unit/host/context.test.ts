import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toOffloadError } from '../../../src/cli/context.js';
import { KernelError } from '../../../src/kernel/types.js';
import { OffloadError } from '../../../src/model/errors.js';

test('KernelError → OffloadError with the matching exit code; other errors pass through', () => {
  const cases: [KernelError['code'], number][] = [
    ['not-found', 2],
    ['invalid', 2],
    ['permission-denied', 3],
    ['not-supported', 3],
    ['busy', 3],
    ['io', 3],
  ];
  for (const [code, exit] of cases) {
    const e = toOffloadError(new KernelError(code, `boom ${code}`, { errno: 1, ifname: 'x' }));
    assert.ok(e instanceof OffloadError, code);
    assert.equal(e.exitCode, exit, code);
    assert.match(e.message, new RegExp(`boom ${code}`));
  }
  const plain = new Error('x');
  assert.equal(toOffloadError(plain), plain);
});
