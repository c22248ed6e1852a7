import { metricLabel, valuesOf } from './analyze.js';
import { METRICS, type BenchResult, type MetricName, type TestName } from './types.js';

/**
 * Hand-written SVG charts of a bench (pure): one grouped bar chart per metric, a group per test,
 * a bar per profile at the median, a thick whisker for the interquartile range, a thin one for
 * min–max, and every run as a dot — spread is shown, not hidden.
 */

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/** A "nice" axis maximum and step (1, 2, 2.5, 5 × 10^k). */
export function niceAxis(max: number, ticks = 5): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.2 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  return { top: Math.ceil(max / step) * step, step };
}

export interface ChartSpec {
  title: string;
  metric: MetricName;
  tests: TestName[];
}

export function barChart(r: BenchResult, spec: ChartSpec): string {
  const W = 760;
  const H = 420;
  const m = { l: 70, r: 20, t: 56, b: 70 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const tests = spec.tests.filter((t) => r.profiles.some((p) => r.summary[p]?.[t]?.[spec.metric]));
  const all = tests.flatMap((t) => r.profiles.flatMap((p) => valuesOf(r.samples, p, t, spec.metric)));
  const { top, step } = niceAxis(Math.max(0, ...all));
  const y = (v: number) => m.t + ph - (v / top) * ph;
  const info = METRICS[spec.metric];
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(spec.title)}</text>`,
    `<text x="${W / 2}" y="40" text-anchor="middle" fill="#555">${escapeXml(
      `median bar, IQR (thick) and min–max (thin) whiskers, one dot per run; ${r.repeat} rounds × ${r.durationSec} s, ${r.environment.lab} lab`.replace(
        'server lab',
        'remote server',
      ) + (r.environment.accelerator ? `, ${r.environment.accelerator.toUpperCase()}` : ''),
    )}</text>`,
  );
  for (let v = 0; v <= top + 1e-9; v += step) {
    const yy = y(v).toFixed(1);
    out.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${yy}" y2="${yy}" stroke="#e3e3e3"/>`,
      `<text x="${m.l - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${escapeXml(String(+v.toPrecision(6)))}</text>`,
    );
  }
  out.push(
    `<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(`${info.label}${info.unit ? ` (${info.unit})` : ''}`)}</text>`,
    `<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" stroke="#333"/>`,
    `<line x1="${m.l}" x2="${W - m.r}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="#333"/>`,
  );
  const gw = tests.length ? pw / tests.length : pw;
  const bw = Math.min(60, (gw * 0.8) / Math.max(1, r.profiles.length));
  tests.forEach((t, gi) => {
    const gx = m.l + gi * gw + (gw - bw * r.profiles.length) / 2;
    out.push(
      `<text x="${(m.l + gi * gw + gw / 2).toFixed(1)}" y="${m.t + ph + 18}" text-anchor="middle">${escapeXml(metricLabel(t, spec.metric).replace(` ${info.label}`, '') || t)}</text>`,
    );
    r.profiles.forEach((p, pi) => {
      const s = r.summary[p]?.[t]?.[spec.metric];
      if (!s) return;
      const x = gx + pi * bw;
      const cx = x + bw / 2;
      const c = COLORS[pi % COLORS.length]!;
      out.push(
        `<rect x="${(x + 2).toFixed(1)}" y="${y(s.median).toFixed(1)}" width="${(bw - 4).toFixed(1)}" height="${(m.t + ph - y(s.median)).toFixed(1)}" fill="${c}" fill-opacity="0.55"><title>${escapeXml(`${p} ${t}: median ${s.median.toPrecision(4)}, IQR ${s.q1.toPrecision(4)}–${s.q3.toPrecision(4)}, n=${s.n}`)}</title></rect>`,
        `<line x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${y(s.min).toFixed(1)}" y2="${y(s.max).toFixed(1)}" stroke="#222" stroke-width="1"/>`,
        `<line x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${y(s.q1).toFixed(1)}" y2="${y(s.q3).toFixed(1)}" stroke="#222" stroke-width="4"/>`,
      );
      valuesOf(r.samples, p, t, spec.metric).forEach((v, i, arr) => {
        const dx = arr.length > 1 ? (i / (arr.length - 1) - 0.5) * (bw * 0.5) : 0;
        out.push(
          `<circle cx="${(cx + dx).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="#000" fill-opacity="0.6"/>`,
        );
      });
      out.push(
        `<text x="${cx.toFixed(1)}" y="${(y(s.max) - 6).toFixed(1)}" text-anchor="middle" font-size="11">${escapeXml(s.median.toPrecision(3))}</text>`,
      );
    });
  });
  r.profiles.forEach((p, pi) => {
    const lx = m.l + pi * 180;
    const ly = H - 22;
    out.push(
      `<rect x="${lx}" y="${ly - 10}" width="14" height="14" fill="${COLORS[pi % COLORS.length]}" fill-opacity="0.55"/>`,
      `<text x="${lx + 20}" y="${ly + 1}">${escapeXml(p)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The charts `--out DIR` writes: file name → SVG. */
export function charts(r: BenchResult): Record<string, string> {
  const out: Record<string, string> = {};
  const streams = r.tests.filter((t) => t !== 'rr');
  if (streams.length) {
    out['throughput.svg'] = barChart(r, { title: 'Throughput per profile', metric: 'gbps', tests: streams });
    const tcp = streams.filter((t) => t !== 'udp');
    if (tcp.length)
      out['cpu-per-gbit.svg'] = barChart(r, {
        title: 'Sender CPU per Gbit/s (iperf3)',
        metric: 'senderCpuPerGbps',
        tests: tcp,
      });
  }
  out['host-cpu.svg'] = barChart(r, {
    title: 'Host CPU busy during each test (/proc/stat, whole machine)',
    metric: 'hostCpu',
    tests: r.tests,
  });
  if (r.tests.includes('rr'))
    out['latency.svg'] = barChart(r, { title: 'Request/response latency p50', metric: 'rttP50Us', tests: ['rr'] });
  return out;
}
