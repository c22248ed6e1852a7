/**
 * Inputs without limits (issue 14, item 10): the policy loader refuses non-regular files before
 * reading them (a FIFO would hang, /dev/zero would read until memory ran out), files over 1 MiB,
 * YAML tags outside the core schema, and stops counting problems at MAX_PROBLEMS. POSIX classes
 * in globs are accepted (picomatch supports them).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOffloadError } from '../../../src/model/errors.js';
import { loadPolicyFile, parsePolicyText } from '../../../src/policy/index.js';
import { MAX_POLICY_BYTES } from '../../../src/policy/load.js';
import { MAX_PROBLEMS } from '../../../src/policy/parse.js';
import { matchesSelector } from '../../../src/policy/select.js';
import type { Interface } from '../../../src/model/types.js';

const dir = mkdtempSync(join(tmpdir(), 'olc-policy-limits-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const refused = (re: RegExp) => (e: unknown) => isOffloadError(e) && e.exitCode === 2 && re.test(e.message);

test('non-regular files are refused before reading: /dev/zero, a FIFO, a directory', () => {
  assert.throws(() => loadPolicyFile('/dev/zero'), refused(/character device, not a regular file/));
  const fifo = join(dir, 'fifo.yaml');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => loadPolicyFile(fifo), refused(/FIFO, not a regular file/)); // no writer: would hang if opened blocking or read
  assert.throws(() => loadPolicyFile(dir), refused(/directory/));
});

test('a policy over 1 MiB is refused without being read or parsed', () => {
  const big = join(dir, 'big.yaml');
  writeFileSync(big, 'name: x\n');
  truncateSync(big, MAX_POLICY_BYTES + 1); // sparse: 1 MiB of NULs after the line
  assert.throws(() => loadPolicyFile(big), refused(/limit is 1048576 \(1 MiB\)/));
  truncateSync(big, 50 << 20);
  const t0 = Date.now();
  assert.throws(() => loadPolicyFile(big), refused(/1 MiB/));
  assert.ok(Date.now() - t0 < 5000);
});

test('YAML tags outside the core schema are refused: !foo, !!binary, !!timestamp', () => {
  const rule = '\nrules:\n  - features: {tso: off}\n';
  for (const [text, tag] of [
    ['name: !foo a' + rule, '!foo'],
    ['name: !!binary aGk=' + rule, '!!binary'],
    ['name: a\nrules:\n  - select: {name: [!!binary aGk=]}\n    features: {tso: off}\n', '!!binary'],
    ['name: !!timestamp 2001-12-14' + rule, '!!timestamp'],
    ['name: a\nrules: !rules\n  - features: {tso: off}\n', '!rules'],
  ]) {
    assert.throws(
      () => parsePolicyText(text!, 'p.yaml'),
      refused(new RegExp(`YAML tag ${tag!.replace(/[!]/g, '\\!')} is not accepted`)),
      text,
    );
  }
  assert.equal(parsePolicyText('name: !!str a' + rule, 'p.yaml').name, 'a'); // core tags are fine
});

test('a token (glob) with whitespace is refused, ASCII or Unicode', () => {
  for (const g of ['tap *', 'tap0 ', ' tap0', 'tap\t0', 'tap\u00a00', 'tap\u20030', 'tap\u30000']) {
    for (const field of ['name', 'kind', 'driver', 'master']) {
      const text = `rules:\n  - select: {${field}: [${JSON.stringify(g)}]}\n    features: {tso: off}\n`;
      assert.throws(() => parsePolicyText(text, 'p.yaml'), refused(/whitespace/), `${field} ${JSON.stringify(g)}`);
    }
  }
});

test('POSIX classes in globs are accepted and match as they say', () => {
  const p = parsePolicyText(
    'rules:\n  - select: {name: ["[[:alpha:]]*", "vnet[[:digit:]]"]}\n    features: {tso: off}\n',
    'p.yaml',
  );
  const sel = p.rules[0]!.select;
  const iface = (name: string) =>
    ({ name, role: 'vm-port', kind: 'tun', driver: 'tun', master: null }) as unknown as Interface;
  assert.equal(matchesSelector(sel, iface('tap0')), true);
  assert.equal(matchesSelector(sel, iface('vnet7')), true);
  assert.equal(matchesSelector(sel, iface('0tap')), false);
  assert.throws(
    () => parsePolicyText('rules:\n  - select: {name: ["[[:bogus:]]*"]}\n    features: {tso: off}\n', 'p.yaml'),
    refused(/invalid glob/),
  );
  assert.throws(
    () => parsePolicyText('rules:\n  - select: {name: ["a:b[[:alpha:]]"]}\n    features: {tso: off}\n', 'p.yaml'),
    refused(/cannot contain/),
  );
});

test('problems: counting stops at MAX_PROBLEMS, the message says so', () => {
  const rules = Array.from({ length: 2000 }, (_, i) => `  - nmae: r${i}\n    features: {tsoo: of}`).join('\n');
  const t0 = Date.now();
  assert.throws(
    () => parsePolicyText(`name: bad\nrules:\n${rules}\n`, 'p.yaml'),
    (e: unknown) =>
      isOffloadError(e) &&
      /or more more problems/.test(e.message) &&
      ((e.detail?.problems as string[] | undefined) ?? []).length <= MAX_PROBLEMS,
  );
  assert.ok(Date.now() - t0 < 20_000);
});
