import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rateLimitedLog } from '../../../src/agent/rate-limit.js';

test('rate-limited log: N lines per interval, then one "suppressed K" line', () => {
  let now = 0;
  const lines: string[] = [];
  const l = rateLimitedLog(
    (f) => lines.push(`line ${String(f.i)}`),
    (k, ms) => lines.push(`suppressed ${k} in ${ms}`),
    { burst: 3, intervalMs: 1000, now: () => now },
  );
  for (let i = 0; i < 2000; i++) l.log({ i });
  assert.deepEqual(lines, ['line 0', 'line 1', 'line 2']);
  assert.equal(l.suppressed, 1997);
  now = 1000; // next interval: the count of the last one first
  l.log({ i: 'a' });
  assert.deepEqual(lines.slice(3), ['suppressed 1997 in 1000', 'line a']);
  l.log({ i: 'b' });
  l.log({ i: 'c' });
  l.log({ i: 'd' });
  l.flush();
  assert.deepEqual(lines.slice(5), ['line b', 'line c', 'suppressed 1 in 1000']);
  l.flush();
  assert.equal(lines.length, 8);
});
