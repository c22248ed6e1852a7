import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compare, summarizeSamples } from '../../../src/bench/analyze.js';
import { progressLine, tableRows, verdictLines, footer } from '../../../src/bench/render.js';
import { barChart, charts, escapeXml, niceAxis } from '../../../src/bench/svg.js';
import { parseProfiles, parseTests, validate } from '../../../src/bench/bench.js';
import { policyArgs } from '../../../src/bench/profile-applier.js';
import type { BenchResult, Sample, TestName } from '../../../src/bench/types.js';
import { OffloadError } from '../../../src/model/errors.js';

function sample(
  round: number,
  profile: string,
  test: TestName,
  gbps: number,
  extra: Record<string, number> = {},
): Sample {
  return {
    round,
    profile,
    test,
    startedAt: '2026-01-01T00:00:00Z',
    metrics: { gbps, senderCpu: 90, senderCpuPerGbps: 90 / gbps, hostCpu: 60, ...extra },
  };
}

function result(): BenchResult {
  const samples: Sample[] = [];
  const on = [17.8, 17.2, 18.1, 17.5, 17.9];
  const off = [4.4, 4.6, 4.3, 4.5, 4.4];
  for (let r = 0; r < 5; r++) {
    samples.push(sample(r + 1, 'offloads-on', 'tcp', on[r]!), sample(r + 1, 'tso-gso-off', 'tcp', off[r]!));
    samples.push(
      {
        round: r + 1,
        profile: 'offloads-on',
        test: 'rr',
        startedAt: '',
        metrics: { rttP50Us: 50 + r, rttP99Us: 100 + r, tps: 15000 },
      },
      {
        round: r + 1,
        profile: 'tso-gso-off',
        test: 'rr',
        startedAt: '',
        metrics: { rttP50Us: 51 - r, rttP99Us: 101 - r, tps: 15000 },
      },
    );
  }
  samples.push({ round: 6, profile: 'tso-gso-off', test: 'tcp', startedAt: '', metrics: {}, error: 'iperf3: boom' });
  const profiles = ['offloads-on', 'tso-gso-off'];
  const tests: TestName[] = ['tcp', 'rr'];
  return {
    startedAt: '',
    finishedAt: '',
    profiles,
    tests,
    durationSec: 5,
    repeat: 5,
    environment: {
      lab: 'netns',
      path: 'g1 → br0 → g2',
      appliedIn: 'olab-x-hv',
      kernel: '6.18',
      cpus: 2,
      notes: ['lab x'],
    },
    samples,
    summary: summarizeSamples(samples, profiles, tests),
    comparisons: compare(samples, profiles, tests, { where: 'on the netns lab', seed: 1 }),
    restored: true,
  };
}

test('summaries ignore failed runs; comparisons name cost and no-difference honestly', () => {
  const r = result();
  assert.equal(r.summary['tso-gso-off']!.tcp!.gbps!.n, 5);
  assert.equal(r.summary['offloads-on']!.tcp!.gbps!.median, 17.8);
  const tcp = r.comparisons.find((c) => c.test === 'tcp' && c.metric === 'gbps')!;
  assert.equal(tcp.verdict, 'worse');
  assert.ok(tcp.high < 1);
  assert.match(tcp.text, /^on the netns lab, tso-gso-off costs 75% TCP throughput vs offloads-on \(95% CI \d+–\d+%\)$/);
  const rr = r.comparisons.find((c) => c.test === 'rr' && c.metric === 'rttP50Us')!;
  assert.equal(rr.verdict, 'no-difference');
  assert.match(rr.text, /no measurable difference in rr latency p50/);
});

test('table: one row per metric, median [IQR] per profile, ratio with CI', () => {
  const { headers, rows } = tableRows(result());
  assert.deepEqual(headers.slice(0, 4), ['test', 'metric', 'offloads-on median [IQR]', 'tso-gso-off median [IQR]']);
  const tput = rows.find((r) => r[0] === 'tcp' && r[1] === 'throughput Gbit/s')!;
  assert.equal(tput[2], '17.8 [17.5–17.9]');
  assert.equal(tput[3], '4.40 [4.40–4.50]');
  assert.match(tput[4]!, /^0\.25 \(0\.\d\d–0\.\d\d\)$/);
  assert.ok(!rows.some((r) => r[1]!.startsWith('loss')), 'rows with no data are left out');
  assert.equal(verdictLines(result()).length, 4);
  assert.ok(footer(result()).some((l) => /1 failed/.test(l)));
});

test('progress line: bar, round, profile, test, ETA', () => {
  const l = progressLine(
    { done: 6, total: 12, round: 2, rounds: 3, profile: 'tso-gso-off', test: 'tcp', etaSec: 65 },
    10,
  );
  assert.equal(l, '[#####-----] 6/12 round 2/3 tso-gso-off tcp ETA 1m05s');
  assert.match(
    progressLine({ done: 0, total: 4, round: 1, rounds: 2, profile: 'a', test: null, etaSec: null }),
    /applying a ETA …/,
  );
});

/** A small well-formedness check: every tag closes in order, attributes quoted, entities known. */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  const re = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(svg))) {
    const between = svg.slice(last, m.index);
    assert.ok(!/[<>]/.test(between), `stray markup near: ${between.slice(0, 60)}`);
    assert.ok(!/&(?!(lt|gt|amp|apos|quot);)/.test(between), `bad entity in: ${between.slice(0, 60)}`);
    if (m[1]) assert.equal(stack.pop(), m[2]);
    else if (!m[4]) stack.push(m[2]!);
    last = re.lastIndex;
  }
  assert.equal(svg.slice(last).trim(), '');
  assert.deepEqual(stack, []);
}

test('SVG charts are well-formed and show every run', () => {
  const r = result();
  const files = charts(r);
  assert.deepEqual(Object.keys(files).sort(), ['cpu-per-gbit.svg', 'host-cpu.svg', 'latency.svg', 'throughput.svg']);
  for (const svg of Object.values(files)) {
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    assertWellFormed(svg);
  }
  // 10 successful tcp runs → 10 dots
  assert.equal((files['throughput.svg']!.match(/<circle /g) ?? []).length, 10);
  const odd = barChart(
    { ...r, profiles: ['a<&>"b', 'tso-gso-off'] },
    { title: 'x & y', metric: 'gbps', tests: ['tcp'] },
  );
  assertWellFormed(odd);
  assert.equal(escapeXml(`<&>'"`), '&lt;&amp;&gt;&apos;&quot;');
});

test('nice axis', () => {
  assert.deepEqual(niceAxis(17.9), { top: 20, step: 5 });
  assert.deepEqual(niceAxis(0), { top: 1, step: 0.2 });
  assert.deepEqual(niceAxis(4.6), { top: 5, step: 1 });
});

test('flags: tests, profiles, policy files, limits', () => {
  assert.deepEqual(parseTests('tcp, rr,tcp'), ['tcp', 'rr']);
  assert.equal(parseTests('all').length, 5);
  assert.throws(
    () => parseTests('tcp,ping'),
    (e) => e instanceof OffloadError && e.exitCode === 2 && /unknown test "ping"/.test(e.message),
  );
  assert.deepEqual(parseProfiles('offloads-on,tso-gso-off,offloads-on'), ['offloads-on', 'tso-gso-off']);
  assert.deepEqual(policyArgs('tso-gso-off'), ['--profile', 'tso-gso-off']);
  assert.deepEqual(policyArgs('./p.yaml'), ['--policy', './p.yaml']);
  const base = { profiles: ['a'], tests: ['tcp' as TestName], duration: 1, repeat: 1 };
  assert.throws(() => validate({ ...base, lab: 'netns', server: 'h' }), /cannot be used together/);
  assert.throws(() => validate({ ...base, duration: 0 }), /--duration/);
  assert.throws(() => validate({ ...base, repeat: 0 }), /--repeat/);
  validate(base);
});
