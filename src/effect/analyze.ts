import { CPU_FIELDS, USER_HZ } from '../kernel/host-counters.js';
import { bootstrapRatio, type Part, type RatioCi } from './bootstrap.js';
import { ROW_WIDTH, type ChangeMark, type Recording, type SampleDelta } from './types.js';

/**
 * Before/after comparison of a recording around one offload change: pure, over plain data.
 * Windows of equal length end at the change's start and begin after its end plus a settling
 * time. Rates are normalised per second; host CPU per GB moved, so windows with different amounts
 * of traffic compare; uncertainty is a bootstrap interval over the windows' samples.
 */

export interface ChangeSpan {
  start: number;
  end: number;
  source: ChangeMark['source'] | 'time';
  id?: string;
  /** The interfaces the change touched, when known. */
  interfaces: string[] | null;
}

export interface EffectOptions {
  windowMs: number;
  settleMs: number;
  /** Interfaces to report and to count as traffic (default every one but lo). */
  select?: (name: string) => boolean;
  /** Below this many bytes per second moved, a window has no traffic (default 100 kB/s). */
  minBytesPerSec?: number;
  /** A size or CPU change smaller than this fraction is not a difference (default 0.1). */
  minRelativeChange?: number;
}

export interface DirectionStats {
  bytesPerSec: number;
  packetsPerSec: number;
  /** bytes / packets; null without packets. */
  avgPacketBytes: number | null;
}

export interface InterfaceWindow {
  rx: DirectionStats;
  tx: DirectionStats;
  drops: number;
  errors: number;
}

export interface InterfaceEffect {
  name: string;
  /** In the change's interface list. */
  changed: boolean;
  before: InterfaceWindow;
  after: InterfaceWindow;
  /** Ratio after/before of the average packet size, with its interval; null when a window has too few packets. */
  rxSize: RatioCi | null;
  txSize: RatioCi | null;
}

export interface WindowSummary {
  from: string;
  to: string;
  seconds: number;
  samples: number;
  bytesMovedPerSec: number;
  /** softirq + system CPU seconds per second (1.0 = one CPU busy). */
  cpuPerSec: number;
  /** softirq + system CPU seconds per GB moved; null without traffic. */
  cpuSecondsPerGb: number | null;
  softirqSecondsPerGb: number | null;
  netRxSoftirqsPerSec: number;
  netTxSoftirqsPerSec: number;
}

export type Verdict = 'changed' | 'no-difference' | 'no-traffic' | 'too-different' | 'insufficient-data';

export interface EffectReport {
  change: { start: string; end: string; source: ChangeSpan['source']; id?: string; interfaces: string[] | null };
  windowSeconds: number;
  settleSeconds: number;
  before: WindowSummary;
  after: WindowSummary;
  verdict: Verdict;
  /** One line: what changed, or why there is no verdict. */
  summary: string;
  /** The measured facts behind the verdict, one sentence each. */
  evidence: string[];
  cpuPerGb: RatioCi | null;
  interfaces: InterfaceEffect[];
}

const MIN_SAMPLES = 3;
const MIN_PACKETS = 1000;

interface Window {
  samples: SampleDelta[];
  ms: number;
}

function pickWindows(rec: Recording, span: ChangeSpan, o: EffectOptions): { before: Window; after: Window } {
  const before = rec.samples.filter((s) => s.t <= span.start && s.t - s.dt >= span.start - o.windowMs);
  const afterStart = span.end + o.settleMs;
  const after = rec.samples.filter((s) => s.t - s.dt >= afterStart && s.t <= afterStart + o.windowMs);
  // Equal windows: as many samples on each side (the ones nearest the change).
  const n = Math.min(before.length, after.length);
  const b = before.slice(before.length - n);
  const a = after.slice(0, n);
  const ms = (w: SampleDelta[]) => w.reduce((sum, s) => sum + s.dt, 0);
  return { before: { samples: b, ms: ms(b) }, after: { samples: a, ms: ms(a) } };
}

const SYSTEM = CPU_FIELDS.indexOf('system');
const SOFTIRQ = CPU_FIELDS.indexOf('softirq');

/** Per sample: bytes moved by the selected interfaces ((Σrx + Σtx) / 2: a forwarded byte counts once). */
function bytesMoved(rec: Recording, s: SampleDelta, select: (n: string) => boolean): number {
  let sum = 0;
  for (let r = 0; r < s.rows.length; r += ROW_WIDTH) {
    if (!select(rec.names[s.rows[r]!] ?? '')) continue;
    sum += s.rows[r + 1]! + s.rows[r + 2]!;
  }
  return sum / 2;
}

function cpuSeconds(s: SampleDelta, which: 'both' | 'softirq'): number {
  const t = which === 'both' ? (s.cpu[SYSTEM] ?? 0) + (s.cpu[SOFTIRQ] ?? 0) : (s.cpu[SOFTIRQ] ?? 0);
  return t / USER_HZ;
}

function summarize(rec: Recording, w: Window, select: (n: string) => boolean): WindowSummary {
  const sec = w.ms / 1000;
  let moved = 0;
  let cpu = 0;
  let soft = 0;
  let rx = 0;
  let tx = 0;
  for (const s of w.samples) {
    moved += bytesMoved(rec, s, select);
    cpu += cpuSeconds(s, 'both');
    soft += cpuSeconds(s, 'softirq');
    rx += s.netRx;
    tx += s.netTx;
  }
  const first = w.samples[0];
  const last = w.samples[w.samples.length - 1];
  return {
    from: first ? new Date(first.t - first.dt).toISOString() : '',
    to: last ? new Date(last.t).toISOString() : '',
    seconds: sec,
    samples: w.samples.length,
    bytesMovedPerSec: sec > 0 ? moved / sec : 0,
    cpuPerSec: sec > 0 ? cpu / sec : 0,
    cpuSecondsPerGb: moved > 0 ? cpu / (moved / 1e9) : null,
    softirqSecondsPerGb: moved > 0 ? soft / (moved / 1e9) : null,
    netRxSoftirqsPerSec: sec > 0 ? rx / sec : 0,
    netTxSoftirqsPerSec: sec > 0 ? tx / sec : 0,
  };
}

interface IfaceAcc {
  sums: number[];
  rxParts: Part[];
  txParts: Part[];
}

function perInterface(rec: Recording, w: Window, select: (n: string) => boolean): Map<string, IfaceAcc> {
  const out = new Map<string, IfaceAcc>();
  w.samples.forEach((s, k) => {
    for (let r = 0; r < s.rows.length; r += ROW_WIDTH) {
      const name = rec.names[s.rows[r]!] ?? '';
      if (!select(name)) continue;
      let a = out.get(name);
      if (!a) {
        a = {
          sums: [0, 0, 0, 0, 0, 0],
          rxParts: w.samples.map(() => ({ num: 0, den: 0 })),
          txParts: w.samples.map(() => ({ num: 0, den: 0 })),
        };
        out.set(name, a);
      }
      for (let i = 0; i < 6; i++) a.sums[i]! += s.rows[r + 1 + i]!;
      a.rxParts[k] = { num: s.rows[r + 1]!, den: s.rows[r + 3]! };
      a.txParts[k] = { num: s.rows[r + 2]!, den: s.rows[r + 4]! };
    }
  });
  return out;
}

function direction(bytes: number, packets: number, sec: number): DirectionStats {
  return {
    bytesPerSec: sec > 0 ? bytes / sec : 0,
    packetsPerSec: sec > 0 ? packets / sec : 0,
    avgPacketBytes: packets > 0 ? bytes / packets : null,
  };
}

function ifaceWindow(a: IfaceAcc | undefined, sec: number): InterfaceWindow {
  const s = a?.sums ?? [0, 0, 0, 0, 0, 0];
  return { rx: direction(s[0]!, s[2]!, sec), tx: direction(s[1]!, s[3]!, sec), drops: s[4]!, errors: s[5]! };
}

function sizeRatio(b: IfaceAcc | undefined, a: IfaceAcc | undefined, dir: 'rx' | 'tx'): RatioCi | null {
  if (!b || !a) return null;
  const pb = dir === 'rx' ? b.rxParts : b.txParts;
  const pa = dir === 'rx' ? a.rxParts : a.txParts;
  const packets = (ps: Part[]) => ps.reduce((n, p) => n + p.den, 0);
  if (packets(pb) < MIN_PACKETS || packets(pa) < MIN_PACKETS) return null;
  return bootstrapRatio(pb, pa);
}

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)} kB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${Math.round(n)} B`;
}

function fmtRatio(r: number): string {
  return r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2);
}

function ci(r: RatioCi): string {
  return `${Math.round(r.level * 100)}% CI ${fmtRatio(r.low)}–${fmtRatio(r.high)}`;
}

/** The ratio differs from 1 by at least minRel and its interval excludes 1. */
function significant(r: RatioCi | null, minRel: number): boolean {
  if (!r || !Number.isFinite(r.ratio)) return false;
  const outside = r.low > 1 || r.high < 1;
  return outside && Math.abs(Math.log(r.ratio)) >= Math.log(1 + minRel);
}

export function compareAroundChange(rec: Recording, span: ChangeSpan, o: EffectOptions): EffectReport {
  const select = o.select ?? ((n: string) => n !== 'lo');
  const minRate = o.minBytesPerSec ?? 100_000;
  const minRel = o.minRelativeChange ?? 0.1;
  const { before, after } = pickWindows(rec, span, o);
  const bSum = summarize(rec, before, select);
  const aSum = summarize(rec, after, select);
  const base: Omit<EffectReport, 'verdict' | 'summary' | 'evidence' | 'cpuPerGb' | 'interfaces'> = {
    change: {
      start: new Date(span.start).toISOString(),
      end: new Date(span.end).toISOString(),
      source: span.source,
      id: span.id,
      interfaces: span.interfaces,
    },
    windowSeconds: o.windowMs / 1000,
    settleSeconds: o.settleMs / 1000,
    before: bSum,
    after: aSum,
  };
  const report = (
    verdict: Verdict,
    summary: string,
    evidence: string[] = [],
    cpuPerGb: RatioCi | null = null,
    interfaces: InterfaceEffect[] = [],
  ): EffectReport => ({
    ...base,
    verdict,
    summary,
    evidence,
    cpuPerGb,
    interfaces,
  });

  if (before.samples.length < MIN_SAMPLES) {
    return report(
      'insufficient-data',
      `the recording has ${before.samples.length} samples before and ${after.samples.length} after the change in the windows asked for (at least ${MIN_SAMPLES} each are needed): record longer around the change, or use a shorter --window`,
    );
  }
  const rb = bSum.bytesMovedPerSec;
  const ra = aSum.bytesMovedPerSec;
  if (rb < minRate && ra < minRate) {
    return report(
      'no-traffic',
      `no traffic to compare: ${formatBytes(rb)}/s before and ${formatBytes(ra)}/s after the change (below ${formatBytes(minRate)}/s)`,
    );
  }
  if (Math.min(rb, ra) < minRate || Math.min(rb, ra) / Math.max(rb, ra) < 0.1) {
    return report(
      'too-different',
      `traffic too different to compare: ${formatBytes(rb)}/s before and ${formatBytes(ra)}/s after the change`,
    );
  }

  const accB = perInterface(rec, before, select);
  const accA = perInterface(rec, after, select);
  const names = [...new Set([...accB.keys(), ...accA.keys()])];
  const changedSet = new Set(span.interfaces ?? []);
  const interfaces: InterfaceEffect[] = names.map((name) => ({
    name,
    changed: changedSet.has(name),
    before: ifaceWindow(accB.get(name), bSum.seconds),
    after: ifaceWindow(accA.get(name), aSum.seconds),
    rxSize: sizeRatio(accB.get(name), accA.get(name), 'rx'),
    txSize: sizeRatio(accB.get(name), accA.get(name), 'tx'),
  }));
  const traffic = (e: InterfaceEffect) =>
    e.before.rx.bytesPerSec + e.before.tx.bytesPerSec + e.after.rx.bytesPerSec + e.after.tx.bytesPerSec;
  interfaces.sort((x, y) => traffic(y) - traffic(x) || x.name.localeCompare(y.name));

  const evidence: string[] = [];
  const sizeFindings: { text: string; weight: number }[] = [];
  for (const e of interfaces) {
    for (const dir of ['tx', 'rx'] as const) {
      const r = dir === 'tx' ? e.txSize : e.rxSize;
      if (!significant(r, minRel)) continue;
      const b = e.before[dir].avgPacketBytes!;
      const a = e.after[dir].avgPacketBytes!;
      sizeFindings.push({
        text: `average ${dir.toUpperCase()} packet size on ${e.name} ${a < b ? 'fell' : 'rose'} from ${formatBytes(b)} to ${formatBytes(a)}`,
        weight:
          Math.abs(Math.log(r!.ratio)) * (e.before[dir].bytesPerSec + e.after[dir].bytesPerSec) * (e.changed ? 2 : 1),
      });
    }
  }
  sizeFindings.sort((x, y) => y.weight - x.weight);
  evidence.push(...sizeFindings.slice(0, 3).map((f) => f.text));

  const parts = (w: Window): Part[] =>
    w.samples.map((s) => ({ num: cpuSeconds(s, 'both'), den: bytesMoved(rec, s, select) / 1e9 }));
  const cpuPerGb = bootstrapRatio(parts(before), parts(after));
  const cpuFinding = significant(cpuPerGb, minRel)
    ? cpuPerGb.ratio > 1
      ? `host softirq + system CPU per GB moved rose ${fmtRatio(cpuPerGb.ratio)}x (${ci(cpuPerGb)})`
      : `host softirq + system CPU per GB moved fell to ${fmtRatio(cpuPerGb.ratio)}x (${ci(cpuPerGb)})`
    : null;
  if (cpuFinding) evidence.push(cpuFinding);
  const dropsB = interfaces.reduce((n, e) => n + e.before.drops + e.before.errors, 0);
  const dropsA = interfaces.reduce((n, e) => n + e.after.drops + e.after.errors, 0);
  if (dropsB !== dropsA && (dropsB > 0 || dropsA > 0)) {
    evidence.push(
      `drops + errors on the selected interfaces: ${dropsB} before, ${dropsA} after (${bSum.seconds.toFixed(0)} s each)`,
    );
  }
  const thr = ra / rb;
  const throughput = `bytes moved ${formatBytes(rb)}/s before, ${formatBytes(ra)}/s after (${fmtRatio(thr)}x)`;
  if (sizeFindings.length === 0 && !cpuFinding) {
    return report(
      'no-difference',
      `no measurable difference: packet sizes and CPU per GB moved did not change by ${Math.round(minRel * 100)}% or more (${ci(cpuPerGb)} of the CPU per GB ratio); ${throughput}`,
      evidence,
      cpuPerGb,
      interfaces,
    );
  }
  evidence.push(throughput);
  const summary = [sizeFindings[0]?.text, cpuFinding].filter((x): x is string => !!x).join('; ');
  return report('changed', summary, evidence, cpuPerGb, interfaces);
}
