import { test } from 'node:test';
import assert from 'node:assert/strict';
import { undoCommand } from '../../../src/apply/undo-hint.js';

// Issue 15 item 6: the undo hint carries the --netns and --state-dir the apply used.
test('undo hint: --netns and --state-dir as the apply ran, the default state dir left out, quoted only when needed', () => {
  assert.equal(
    undoCommand({ id: '20261125-125549-123-ab12', netns: null }, '/var/lib/offloadctl'),
    'offloadctl restore 20261125-125549-123-ab12',
  );
  assert.equal(
    undoCommand({ id: 'X', netns: 'olab-demo-hv' }, '/root/olc state'),
    "offloadctl --netns olab-demo-hv restore X --state-dir '/root/olc state'",
  );
  assert.match(
    undoCommand({ id: 'X', netns: null }, 'rel/dir'),
    /--state-dir \/.*\/rel\/dir$/,
    'relative: made absolute, it works from anywhere',
  );
});
