import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatScheduling, parseProcStatScheduling } from '../../../src/kernel/scheduling.js';

// /proc/PID/stat lines as the kernel wrote them here (`cat`, then `chrt -f 1 cat`), the command
// name with a space and a parenthesis for the second
const OTHER =
  '5176 (cat) R 5131 5131 4544 0 -1 4194304 125 0 0 0 0 0 0 0 20 0 1 0 2374481 3133440 379 18446744073709551615 94809190838272 94809190858153 140732938545536 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 94809190874160 94809190875776 94809403940864 140732938554074 140732938554094 140732938554094 140732938555371 0';
const FIFO =
  '5177 (a (b) c) R 5131 5131 4544 0 -1 4194304 125 0 0 0 0 0 0 0 -2 0 1 0 2374481 3133440 379 18446744073709551615 94809190838272 94809190858153 140732938545536 0 0 0 0 0 0 0 0 0 17 1 1 1 0 0 0 94809190874160 94809190875776 94809403940864 140732938554074 140732938554094 140732938554094 140732938555371 0';

test('scheduling from /proc/PID/stat: fields 40 (rt_priority) and 41 (policy)', () => {
  assert.deepEqual(parseProcStatScheduling(OTHER), { policy: 'other', priority: 0 });
  assert.deepEqual(parseProcStatScheduling(FIFO), { policy: 'fifo', priority: 1 });
  assert.equal(formatScheduling({ policy: 'fifo', priority: 1 }), 'fifo:1');
  assert.equal(formatScheduling({ policy: 'other', priority: 0 }), 'other');
  assert.equal(parseProcStatScheduling('1 (x) R 1 2'), null);
});
