import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  filterInterfaces,
  globProblem,
  isGlob,
  nameGlobProblem,
  matchesSelector,
  ruleSelects,
  selectByInterfaceGlobs,
} from '../../../src/policy/select.js';
import { isOffloadError } from '../../../src/model/errors.js';
import type { Rule } from '../../../src/model/types.js';
import { iface, kvmHost } from './helpers.js';

const rule = (select: Rule['select'], exclude?: Rule['exclude']): Rule => ({
  name: 'r',
  select,
  exclude,
  features: { tso: 'off' },
});

test('empty selector matches everything; fields AND, list items OR', () => {
  const tap = iface('tap100i0', 'vm-port', {
    master: 'br0',
    vm: { platform: 'proxmox', id: '100', name: null, nic: '0' },
  });
  assert.ok(matchesSelector({}, tap));
  assert.ok(matchesSelector({ role: ['uplink', 'vm-port'] }, tap));
  assert.ok(!matchesSelector({ role: ['uplink'] }, tap));
  assert.ok(matchesSelector({ role: ['vm-port'], name: ['vnet*', 'tap*i*'] }, tap));
  assert.ok(!matchesSelector({ role: ['vm-port'], name: ['vnet*'] }, tap));
  assert.ok(matchesSelector({ master: ['br*'] }, tap));
  assert.ok(matchesSelector({ kind: ['tun'], driver: ['tu?'] }, tap));
  assert.ok(matchesSelector({ vmPlatform: ['proxmox'] }, tap));
  assert.ok(!matchesSelector({ vmPlatform: ['xen'] }, tap));
});

test('null fields never match a glob: no master, no driver, no kind, no VM', () => {
  const nic = iface('eno1', 'physical', { kind: null, driver: null });
  assert.ok(!matchesSelector({ master: ['*'] }, nic));
  assert.ok(!matchesSelector({ driver: ['*'] }, nic));
  assert.ok(!matchesSelector({ kind: ['*'] }, nic));
  assert.ok(!matchesSelector({ vmPlatform: ['libvirt'] }, nic));
});

test('globs: dots and dashes in names (Xen vif1.0-emu, OpenStack tap1234abcd-12)', () => {
  assert.ok(matchesSelector({ name: ['vif*.*'] }, iface('vif1.0-emu', 'vm-port')));
  assert.ok(matchesSelector({ name: ['vif+([0-9]).+([0-9])'] }, iface('vif12.0', 'vm-port')));
  assert.ok(!matchesSelector({ name: ['vif+([0-9]).+([0-9])'] }, iface('vif12.0-emu', 'vm-port')));
  assert.ok(matchesSelector({ name: ['tap????????-??'] }, iface('tap1234abcd-12', 'vm-port')));
  assert.ok(matchesSelector({ name: ['{eno,enp}*'] }, iface('enp3s0', 'uplink')));
});

test('exclude removes what select picked', () => {
  const r = rule({ role: ['uplink'], name: ['eno*', 'enp*'] }, { name: ['enp3s0'] });
  assert.ok(ruleSelects(r, iface('eno1', 'uplink')));
  assert.ok(!ruleSelects(r, iface('enp3s0', 'uplink')));
});

test('loopback only when a rule names role loopback; never by name or by an empty selector', () => {
  const lo = iface('lo', 'loopback');
  assert.ok(!ruleSelects(rule({}), lo));
  assert.ok(!ruleSelects(rule({ name: ['lo'] }), lo));
  assert.ok(!ruleSelects(rule({ name: ['*'] }), lo));
  assert.ok(ruleSelects(rule({ role: ['loopback'] }), lo));
  assert.ok(ruleSelects(rule({ role: ['loopback', 'bridge'], name: ['lo'] }), lo));
});

test('globProblem: unbalanced brackets, slashes, spaces, empty', () => {
  assert.equal(globProblem('vnet*'), null);
  assert.equal(globProblem('vif*.*'), null);
  assert.match(globProblem('foo[')!, /Missing closing: "\]"/);
  assert.match(globProblem('{a,b')!, /Missing closing/);
  assert.match(globProblem('+(a')!, /Missing closing/);
  assert.match(globProblem('a/b')!, /cannot contain/);
  assert.match(globProblem('a b')!, /cannot contain/);
  assert.match(globProblem('')!, /empty/);
  assert.ok(isGlob('vnet*') && isGlob('tap[0-9]') && !isGlob('vif1.0-emu'));
  assert.match(globProblem('eth0:1')!, /cannot contain/);
  assert.equal(nameGlobProblem('abcdefghijklmno'), null, '15 characters is fine');
  assert.match(nameGlobProblem('abcdefghijklmnop')!, /at most 15/);
  assert.equal(nameGlobProblem('abcdefghijklmnop*'), null, 'globs are not length-checked');
});

test('--interface: globs filter, a missing plain name is not-found (exit 2), a glob matching nothing is fine', () => {
  const obs = kvmHost();
  assert.deepEqual(
    filterInterfaces(obs, ['br0', 'tap*']).interfaces.map((i) => i.name),
    ['br0', 'tap100i0'],
  );
  assert.equal(filterInterfaces(obs, []), obs);
  assert.deepEqual(filterInterfaces(obs, ['vif*']).interfaces, []);
  assert.throws(
    () => filterInterfaces(obs, ['br0', 'eth7']),
    (e) => isOffloadError(e) && e.category === 'not-found' && e.exitCode === 2 && /"eth7"/.test(e.message),
  );
  assert.throws(
    () => filterInterfaces(obs, ['br[']),
    (e) => isOffloadError(e) && e.category === 'usage',
  );
  assert.deepEqual(selectByInterfaceGlobs([{ name: 'a1' }, { name: 'b1' }], ['a*']), [{ name: 'a1' }]);
});
