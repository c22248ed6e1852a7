import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plan } from '../../../src/plan/plan.js';
import { compactSet, ethtoolCommand, renderCommands, shellQuote, summarizePlan } from '../../../src/plan/render.js';
import { TSO_GSO_OFF, desire, host } from './fixtures.js';

test('ethtool -K command with kernel names in order', () => {
  assert.equal(
    ethtoolCommand({
      ifname: 'br0',
      set: { 'tx-tcp-segmentation': false, 'tx-generic-segmentation': false, 'rx-gro': true },
    }),
    'ethtool -K br0 tx-tcp-segmentation off tx-generic-segmentation off rx-gro on',
  );
});

test('interface names a shell would misread are quoted', () => {
  assert.equal(shellQuote('vnet0'), 'vnet0');
  assert.equal(shellQuote('vif1.0'), 'vif1.0');
  assert.equal(shellQuote('a b'), `'a b'`);
  assert.equal(shellQuote('x;rm -rf'), `'x;rm -rf'`);
  assert.equal(shellQuote(`it's`), `'it'\\''s'`);
  assert.equal(shellQuote('$(id)'), `'$(id)'`);
});

test('renderCommands: stages in order, warnings as comments, runnable as a script', () => {
  const obs = host();
  const text = renderCommands(plan(obs, desire(obs, TSO_GSO_OFF)));
  const lines = text.trim().split('\n');
  const cmdLines = lines.filter((l) => !l.startsWith('#'));
  assert.deepEqual(
    cmdLines.map((l) => l.split(' ')[2]),
    ['eno1', 'tap100i0', 'veth0', 'veth9', 'br0'],
  );
  assert.ok(lines.indexOf(lines.find((l) => l.startsWith('# stage 1'))!) > lines.indexOf(cmdLines[3]!));
  assert.ok(lines.some((l) => l.startsWith('# eno1: physical NIC')));
  for (const l of cmdLines) assert.match(l, /^ethtool -K \S+( \S+ (on|off))+$/);
});

test('nothing to do renders no commands and says so', () => {
  const obs = host();
  const p = plan(obs, desire(obs, {}));
  assert.equal(renderCommands(p), '');
  assert.match(summarizePlan(p), /nothing to do/);
});

test('compactSet groups by ethtool short name when all members agree', () => {
  assert.equal(compactSet(TSO_GSO_OFF), 'tso off, gso off');
  assert.equal(
    compactSet({ 'tx-tcp-segmentation': false, 'tx-tcp6-segmentation': true }),
    'tx-tcp-segmentation off, tx-tcp6-segmentation on',
  );
  assert.equal(compactSet({ highdma: false }), 'highdma off');
});
