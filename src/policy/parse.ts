import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Document, LineCounter } from 'yaml';
import { OffloadError } from '../model/errors.js';
import type { FeatureValue, Policy, Rule, Selector } from '../model/types.js';
import { describePath, pointerToPath, positionOf, type PathSeg, type Position } from './locate.js';
import { PROFILES, findProfile } from './profiles.js';
import { POLICY_KEYS, RULE_KEYS, SELECTOR_KEYS } from './schema.js';
import { yamlLib } from './lazy-deps.js';
import { validate as generatedValidate } from './policy-validator.generated.js';
import { globProblem, nameGlobProblem } from './select.js';
import { acceptedFeatureNames, isAcceptedFeatureName } from './short-names.js';
import { didYouMean } from './suggest.js';

/**
 * Policy files: YAML → Policy. Three stages, each reporting `file:line:col: what was expected`
 * as OffloadError('input') (exit 2):
 *   1. YAML syntax (the `yaml` package, which keeps every node's source range),
 *   2. shape, keys and enums (JSON Schema, ajv strict),
 *   3. names that need a table or a parser: feature names, globs, `extends`.
 * Stages 2 and 3 both run (stage 3 over whatever parts have the right shape), so every problem is
 * found: the first one in the file is reported, with a count of all the others (each one is in the
 * error's `problems`, in file order).
 */

interface Problem {
  pos: Position;
  message: string;
}

/** Problems collected at most (each stage stops there): a huge bad file must not cost minutes. */
export const MAX_PROBLEMS = 50;

/** Tags a policy may carry: the YAML core schema's own. Anything else (`!!binary`, `!foo`) is refused. */
const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

/** ajv's standalone output for POLICY_SCHEMA (see gen-validator.ts): no ajv at run time. */
const validate = generatedValidate as unknown as ValidateFunction;

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `${JSON.stringify(v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

function typeWord(t: unknown): string {
  switch (t) {
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping';
    case 'string':
      return 'a string';
    default:
      return String(t);
  }
}

function keysFor(path: readonly PathSeg[]): readonly string[] {
  if (path.length === 0) return POLICY_KEYS;
  const last = path[path.length - 1];
  if (last === 'select' || last === 'exclude') return SELECTOR_KEYS;
  return RULE_KEYS;
}

function whereFor(path: readonly PathSeg[]): string {
  if (path.length === 0) return 'at the top level';
  const last = path[path.length - 1];
  if (last === 'select' || last === 'exclude') return `in ${describePath(path)}`;
  return `in rule ${describePath(path)}`;
}

function schemaProblem(doc: Document, lc: LineCounter, e: ErrorObject): Problem {
  const path = pointerToPath(e.instancePath);
  const at = (p: readonly PathSeg[], key = false) => positionOf(doc, lc, p, { key });
  const what = describePath(path);
  const last = path[path.length - 1];
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = keysFor(path);
      return {
        pos: at([...path, key], true),
        message:
          `unknown key ${JSON.stringify(key)} ${whereFor(path)} (expected one of: ${allowed.join(', ')})` +
          didYouMean(key, allowed),
      };
    }
    case 'required':
      return { pos: at(path), message: `${what} needs ${JSON.stringify(String(params.missingProperty))}` };
    case 'type': {
      const hint = params.type === 'array' && typeof e.data === 'string' ? ` (write [${JSON.stringify(e.data)}])` : '';
      return {
        pos: at(path),
        message: `${what} must be ${typeWord(params.type)}, got ${describeValue(e.data)}${hint}`,
      };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const field = typeof last === 'number' ? path[path.length - 2] : undefined;
      if (path.length >= 2 && path[path.length - 2] === 'features') {
        return {
          pos: at(path),
          message:
            `feature ${JSON.stringify(String(last))} must be "on" or "off", got ${describeValue(e.data)}` +
            (typeof e.data === 'boolean' ? ' (write on or off; true/false are not accepted)' : ''),
        };
      }
      const label = field === 'role' ? 'role' : field === 'vmPlatform' ? 'VM platform' : String(field ?? what);
      return {
        pos: at(path),
        message:
          `unknown ${label} ${describeValue(e.data)} in ${what} (expected one of: ${allowed.join(', ')})` +
          (typeof e.data === 'string' ? didYouMean(e.data, allowed) : ''),
      };
    }
    case 'minItems':
    case 'minProperties':
    case 'not': // not: { const: '' } — an empty string
      if (last === 'features') return { pos: at(path), message: `${what} must name at least one feature` };
      if (last === 'rules') return { pos: at(path), message: `"rules" must not be empty: give at least one rule` };
      return { pos: at(path), message: `${what} must not be empty` };
    default:
      return { pos: at(path), message: `${what} ${e.message ?? 'is invalid'}` };
  }
}

const GLOB_FIELDS = ['name', 'kind', 'driver', 'master'] as const;

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a schema cannot express: feature names, globs, extends. Also run when the schema check
 * failed (so a bad value on line 5 does not hide an unknown feature on line 4): every part whose
 * shape is wrong is skipped here, the schema already reported it.
 */
function semanticProblems(doc: Document, lc: LineCounter, data: RawPolicy, shapeOk: boolean): Problem[] {
  const problems: Problem[] = [];
  if (!isMapping(data)) return problems;
  const at = (p: readonly PathSeg[], key = false) => positionOf(doc, lc, p, { key });
  if (typeof data.extends === 'string' && !findProfile(data.extends)) {
    const names = PROFILES.map((p) => p.name);
    problems.push({
      pos: at(['extends']),
      message:
        `unknown profile ${JSON.stringify(data.extends)} in extends (built-in profiles: ${names.join(', ')})` +
        didYouMean(data.extends, names),
    });
  }
  // With a shape problem (e.g. the unknown top-level key "rule") this would only echo it.
  if (shapeOk && data.rules === undefined && data.extends === undefined) {
    problems.push({ pos: at([]), message: 'a policy needs "rules" (or "extends": a built-in profile)' });
  }
  for (const [i, rule] of (Array.isArray(data.rules) ? data.rules : []).entries()) {
    if (problems.length >= MAX_PROBLEMS) break;
    if (!isMapping(rule)) continue;
    for (const name of isMapping(rule.features) ? Object.keys(rule.features) : []) {
      if (isAcceptedFeatureName(name)) continue;
      const hint = didYouMean(name, acceptedFeatureNames());
      problems.push({
        pos: at(['rules', i, 'features', name], true),
        message:
          `unknown feature ${JSON.stringify(name)}` +
          (hint ||
            ' (expected an ethtool short name such as tso, gso, gro, sg, a long label such as ' +
              'generic-segmentation-offload, or a kernel name such as tx-tcp-segmentation)'),
      });
    }
    for (const part of ['select', 'exclude'] as const) {
      const sel = rule[part];
      if (!isMapping(sel)) continue;
      for (const field of GLOB_FIELDS) {
        const globs: unknown = sel[field];
        for (const [j, glob] of (Array.isArray(globs) ? globs : []).entries()) {
          if (typeof glob !== 'string') continue;
          const problem = field === 'name' || field === 'master' ? nameGlobProblem(glob) : globProblem(glob);
          if (problem) {
            const path: PathSeg[] = ['rules', i, part, field, j];
            problems.push({
              pos: at(path),
              message: `invalid glob ${JSON.stringify(glob)} in ${describePath(path)}: ${problem}`,
            });
          }
        }
      }
    }
  }
  return problems;
}

/** The shape the schema guarantees. */
interface RawPolicy {
  name?: string;
  description?: string;
  extends?: string;
  rules?: { name?: string; select?: Selector; exclude?: Selector; features: Record<string, FeatureValue> }[];
}

/** Nodes with a tag outside the core schema: YAML would turn them into something else than was written. */
function explicitTags(doc: Document, lc: LineCounter): Problem[] {
  const { visit } = yamlLib();
  const problems: Problem[] = [];
  visit(doc, {
    Node(_key, node) {
      const tag = (node as { tag?: string }).tag;
      if (tag === undefined || CORE_TAGS.has(tag)) return undefined;
      const offset = node.range?.[0] ?? 0;
      const { line, col } = lc.linePos(offset);
      const shown = tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
      problems.push({
        pos: { line, col, offset },
        message: `YAML tag ${shown} is not accepted in a policy (only plain strings, lists and mappings)`,
      });
      return problems.length >= MAX_PROBLEMS ? visit.BREAK : undefined;
    },
  });
  return problems;
}

function fail(file: string, found: Problem[]): never {
  // File order; one problem per place (the schema and a name check may both see one spot).
  const seen = new Set<number>();
  const problems = [...found]
    .sort((a, b) => a.pos.offset - b.pos.offset)
    .filter((p) => (seen.has(p.pos.offset) ? false : (seen.add(p.pos.offset), true)))
    .slice(0, MAX_PROBLEMS);
  const first = problems[0]!;
  const capped = problems.length >= MAX_PROBLEMS ? ' (stopped counting)' : '';
  const more =
    problems.length > 1
      ? ` (and ${problems.length - 1}${capped ? ' or more' : ''} more problem${problems.length > 2 ? 's' : ''})`
      : '';
  throw new OffloadError('input', `${file}:${first.pos.line}:${first.pos.col}: ${first.message}${more}`, {
    file,
    line: first.pos.line,
    col: first.pos.col,
    problems: problems.map((p) => `${file}:${p.pos.line}:${p.pos.col}: ${p.message}`),
  });
}

function copySelector(s: Selector): Selector {
  const out: Selector = {};
  for (const k of SELECTOR_KEYS) if (s[k]) (out as Record<string, unknown>)[k] = [...s[k]!];
  return out;
}

function defaultName(file: string): string {
  const base = file.split('/').pop() ?? file;
  return base.replace(/\.(ya?ml)$/i, '') || 'policy';
}

/**
 * Parse and check a policy file's text (pure: no file system). `file` is used in messages and as
 * the policy's source. `extends` is resolved here: the profile's rules come first.
 */
export function parsePolicyText(text: string, file: string): Policy {
  const { LineCounter, parseDocument } = yamlLib();
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    fail(
      file,
      doc.errors.slice(0, MAX_PROBLEMS).map((e) => {
        const offset = e.pos[0];
        const { line, col } = lc.linePos(offset);
        const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        return { pos: { line, col, offset }, message: `YAML syntax: ${msg}` };
      }),
    );
  }
  const tagged = explicitTags(doc, lc);
  if (tagged.length > 0) fail(file, tagged);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    fail(file, [
      { pos: { line: 1, col: 1, offset: 0 }, message: `YAML: ${String((e as Error).message).split('\n')[0]}` },
    ]);
  }
  if (data === null || data === undefined) {
    fail(file, [
      { pos: { line: 1, col: 1, offset: 0 }, message: 'empty policy: expected a mapping with "name" and "rules"' },
    ]);
  }
  const raw = data as RawPolicy;
  const shapeProblems = validate(data)
    ? []
    : (validate.errors ?? []).slice(0, MAX_PROBLEMS).map((e) => schemaProblem(doc, lc, e));
  const problems = [...shapeProblems, ...semanticProblems(doc, lc, raw, shapeProblems.length === 0)];
  if (problems.length) fail(file, problems);

  const name = raw.name ?? defaultName(file);
  const base = raw.extends ? findProfile(raw.extends)!.rules : [];
  const rules: Rule[] = [
    ...base.map((r) => ({ ...r, select: copySelector(r.select), features: { ...r.features } })),
    ...(raw.rules ?? []).map((r, i) => {
      const rule: Rule = {
        name: r.name ?? `rule ${i + 1}`,
        select: copySelector(r.select ?? {}),
        features: { ...r.features },
      };
      if (r.exclude) rule.exclude = copySelector(r.exclude);
      return rule;
    }),
  ];
  const policy: Policy = { name, rules, source: file };
  if (raw.description !== undefined) policy.description = raw.description;
  if (raw.extends !== undefined) policy.extends = raw.extends;
  return policy;
}
