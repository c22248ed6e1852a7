import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadPolicy, loadPolicyFile, parsePolicyText } from '../../../src/policy/index.js';
import { isOffloadError } from '../../../src/model/errors.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/policies/', import.meta.url));

/** Each bad file starts with `# expect: LINE:COL message-prefix`. */
function expectation(path: string): { line: number; col: number; text: string } {
  const m = /^# expect: (\d+):(\d+) (.*)$/m.exec(readFileSync(path, 'utf8').split('\n')[0]!);
  assert.ok(m, `${path} has no "# expect: LINE:COL message" header`);
  return { line: Number(m[1]), col: Number(m[2]), text: m[3]!.trim() };
}

const bad = readdirSync(FIXTURES + 'bad')
  .filter((f) => f.endsWith('.yaml'))
  .sort();

test('the broken-policy corpus is not empty', () => assert.ok(bad.length >= 25, String(bad.length)));

for (const f of bad) {
  test(`bad policy ${f}: OffloadError('input') at the expected file:line:col`, () => {
    const path = FIXTURES + 'bad/' + f;
    const want = expectation(path);
    assert.throws(
      () => loadPolicyFile(path),
      (e) => {
        assert.ok(isOffloadError(e), String(e));
        assert.equal(e.category, 'input');
        assert.equal(e.exitCode, 2);
        const prefix = `${path}:${want.line}:${want.col}: `;
        assert.ok(e.message.startsWith(prefix), `${e.message}\n  expected to start with ${prefix}`);
        assert.ok(e.message.includes(want.text), `${e.message}\n  expected to contain ${want.text}`);
        assert.ok(!e.message.includes('\n'), 'one line');
        assert.equal(e.detail?.line, want.line);
        assert.equal(e.detail?.col, want.col);
        return true;
      },
    );
  });
}

test('good policies load; extends puts the profile rules first', () => {
  const p = loadPolicyFile(FIXTURES + 'good/readme-example.yaml');
  assert.equal(p.name, 'my-host');
  assert.equal(p.extends, 'tso-gso-off');
  assert.equal(p.source, FIXTURES + 'good/readme-example.yaml');
  assert.deepEqual(
    p.rules.map((r) => r.name),
    ['tso-gso-off', 'keep-uplink-gro'],
  );
  assert.deepEqual(p.rules[1], {
    name: 'keep-uplink-gro',
    select: { role: ['uplink'], name: ['eno*', 'enp*'] },
    exclude: { name: ['enp3s0'] },
    features: { gro: 'on', tso: 'off' },
  });
  const x = loadPolicyFile(FIXTURES + 'good/xen-host.yaml');
  assert.equal(x.rules.length, 4);
  assert.equal(x.description, 'TSO/GSO/SG off on vifs and bridges; uplinks keep GRO.');
  const e = loadPolicy({ file: FIXTURES + 'good/extends-only.yaml' });
  assert.equal(e.name, 'site-default');
  assert.deepEqual(e.rules[0]!.features, { tso: 'off', gso: 'off', sg: 'off' });
});

test('unnamed rules are named by position; name defaults to the file name', () => {
  const p = parsePolicyText(
    'rules:\n  - features: { gso: off }\n  - features: { tso: off }\n',
    '/etc/offloadctl/site.yaml',
  );
  assert.equal(p.name, 'site');
  assert.deepEqual(
    p.rules.map((r) => r.name),
    ['rule 1', 'rule 2'],
  );
  assert.deepEqual(p.rules[0]!.select, {});
});

test('several problems: the first in the file is reported, with a count of the rest', () => {
  const text = 'name: x\nrules:\n  - select: { role: [nope] }\n    features: { tso: of, gso: no }\n';
  assert.throws(
    () => parsePolicyText(text, 'p.yaml'),
    (e) => isOffloadError(e) && /^p\.yaml:3:22: unknown role "nope".*\(and 2 more problems\)$/.test(e.message),
  );
  // Name checks run once the shape is right; they too report the first and count the rest.
  assert.throws(
    () => parsePolicyText('rules:\n  - features: { tsoo: off, gsoo: off }\n', 'p.yaml'),
    (e) => isOffloadError(e) && /^p\.yaml:2:17: unknown feature "tsoo".*\(and 1 more problem\)$/.test(e.message),
  );
});

test('problems in file order, every one counted: a name problem before a shape problem is reported first', () => {
  const text = [
    'name: x',
    'rules:',
    '  - select: { role: [vm-port] }',
    '    features:',
    '      tsoo: off',
    '      gso: false',
    '      gro: maybe',
    '  - select: { rolee: [x], name: ["vnet[0"] }',
    '    features: { tso: off, gsoo: on }',
    '',
  ].join('\n');
  assert.throws(
    () => parsePolicyText(text, 'p.yaml'),
    (e) => {
      assert.ok(isOffloadError(e));
      assert.match(e.message, /^p\.yaml:5:7: unknown feature "tsoo".*\(and 5 more problems\)$/);
      const problems = (e.detail as { problems: string[] }).problems;
      assert.deepEqual(
        problems.map((p) => p.split(': ')[0]),
        ['p.yaml:5:7', 'p.yaml:6:12', 'p.yaml:7:12', 'p.yaml:8:15', 'p.yaml:8:34', 'p.yaml:9:27'],
        problems.join('\n'),
      );
      return true;
    },
  );
});

test('a missing file is exit 2 with the path; a directory too', () => {
  assert.throws(
    () => loadPolicyFile('/nonexistent/p.yaml'),
    (e) => isOffloadError(e) && e.exitCode === 2 && /\/nonexistent\/p\.yaml: no such file/.test(e.message),
  );
  assert.throws(
    () => loadPolicyFile(FIXTURES),
    (e) => isOffloadError(e) && e.exitCode === 2,
  );
});

test('YAML 1.2: on/off are strings (no YAML 1.1 booleans), quoted or not', () => {
  const p = parsePolicyText('name: q\nrules:\n  - features: { tso: "off", gro: on }\n', 'q.yaml');
  assert.deepEqual(p.rules[0]!.features, { tso: 'off', gro: 'on' });
});
