import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProgram, commandName } from '../../../src/cli/main.js';

const ALL = [
  'status',
  'lab',
  'audit',
  'profiles',
  'plan',
  'apply',
  'restore',
  'snapshots',
  'agent',
  'bench',
  'persist',
  'doctor',
  'explain',
  'effect',
];

test('commandName: the first operand, skipping root options and --backend VALUE', () => {
  assert.equal(commandName(['apply', '--yes']), 'apply');
  assert.equal(commandName(['--backend', 'netlink', 'status', 'br0']), 'status');
  assert.equal(commandName(['--backend=ethtool', 'plan']), 'plan');
  assert.equal(commandName(['--help']), null);
  assert.equal(commandName([]), null);
  assert.equal(commandName(['help', 'apply']), 'help');
});

test('buildProgram registers only the named command, or all of them for help and unknown names', () => {
  assert.deepEqual(
    buildProgram('apply').commands.map((c) => c.name()),
    ['apply'],
  );
  assert.deepEqual(
    buildProgram('lab').commands.map((c) => c.name()),
    ['lab'],
  );
  assert.deepEqual(
    buildProgram(null)
      .commands.map((c) => c.name())
      .sort(),
    [...ALL].sort(),
  );
  assert.deepEqual(
    buildProgram('help')
      .commands.map((c) => c.name())
      .sort(),
    [...ALL].sort(),
  );
  assert.deepEqual(
    buildProgram('aply')
      .commands.map((c) => c.name())
      .sort(),
    [...ALL].sort(),
  );
  assert.deepEqual(buildProgram('__proto__').commands.length, ALL.length);
});

test('--help lists every command with its description', () => {
  const help = buildProgram(commandName(['--help'])).helpInformation();
  for (const name of ALL) assert.match(help, new RegExp(`^  ${name}\\b.*\\S`, 'm'), name);
});
