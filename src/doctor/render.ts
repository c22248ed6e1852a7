import type { DoctorReport, Finding } from './types.js';

type TableFn = (headers: readonly string[], rows: readonly (readonly string[])[]) => string;

function shortList(xs: readonly string[], max = 3): string {
  if (xs.length <= max) return xs.join(', ') || '-';
  return `${xs.slice(0, max).join(', ')} +${xs.length - max}`;
}

function detail(n: number, f: Finding): string {
  const lines: string[] = [];
  lines.push(`[${n}] ${f.severity.toUpperCase()}  ${f.title}`);
  lines.push(`    source:    ${f.source}${f.interfaces.length ? `; interfaces: ${f.interfaces.join(', ')}` : ''}`);
  if (f.features.length) lines.push(`    features:  ${f.features.join(', ')}`);
  lines.push('    evidence:');
  for (const e of f.evidence) lines.push(`      ${e}`);
  lines.push(`    cause:     ${f.cause}`);
  const fixes = [...f.fix.offloadctl, ...f.fix.ethtool, ...f.fix.other];
  if (fixes.length) {
    lines.push('    change it:');
    for (const c of fixes) lines.push(`      ${c}`);
  }
  if (f.fix.measure) lines.push(`    measure it: ${f.fix.measure}`);
  for (const r of f.references) lines.push(`    reference: ${r}`);
  return lines.join('\n');
}

/** The human report: a ranked summary table, then each finding with evidence and commands. */
export function renderReport(r: DoctorReport, table: TableFn, opts: { verbose?: boolean } = {}): string {
  const parts: string[] = [];
  const src: string[] = [];
  if (r.log) {
    src.push(
      `kernel log ${r.log.source}: ${r.log.linesRead} lines read, ${r.log.linesMatched} matched` +
        (r.log.linesTooOld ? `, ${r.log.linesTooOld} older than --since` : ''),
    );
  }
  if (r.counters) {
    src.push(
      r.counters.intervalSeconds > 0
        ? `counters: ${r.counters.interfaces} interfaces sampled ${r.counters.intervalSeconds} s apart, ${r.counters.rates.length} counter(s) moving`
        : 'counters: not sampled (--interval 0)',
    );
  }
  const topo = r.checks.length;
  if (topo) src.push(`topology: ${topo} check(s) passed or skipped`);
  if (r.findings.length === 0) {
    parts.push('No findings.');
  } else {
    parts.push(
      table(
        ['#', 'SEVERITY', 'SOURCE', 'FINDING', 'INTERFACES', 'FEATURES'],
        r.findings.map((f, i) => [
          String(i + 1),
          f.severity,
          f.source,
          f.title,
          shortList(f.interfaces),
          shortList(f.features),
        ]),
      ).trimEnd(),
    );
    parts.push(r.findings.map((f, i) => detail(i + 1, f)).join('\n\n'));
  }
  if (opts.verbose && r.checks.length) {
    parts.push(
      table(
        ['CHECK', 'INTERFACE', 'RESULT', 'WHY'],
        r.checks.map((c) => [c.check, c.ifname ?? '-', c.result, c.reason]),
      ).trimEnd(),
    );
  }
  const tail = [...src, ...r.notes].map((s) => `note: ${s}`);
  if (tail.length) parts.push(tail.join('\n'));
  return parts.join('\n\n') + '\n';
}
