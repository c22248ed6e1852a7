import { OffloadError } from '../model/errors.js';
import { SnapshotStore } from '../apply/store.js';
import { globProblem } from '../policy/select.js';
import { picomatchLib } from '../policy/lazy-deps.js';
import { compareAroundChange, type ChangeSpan, type EffectReport } from './analyze.js';
import { changeAtTime, changeFromSnapshot, lastMarkedChange, parseTime } from './change-span.js';
import { loadRecording, type RecordingSource } from './source.js';

export interface EffectOptions {
  /** A snapshot id, or `last`: the change is that apply. */
  change?: string;
  /** A time: the change marked nearest to it, or that instant. */
  at?: string;
  windowMs: number;
  settleMs: number;
  interfaces: readonly string[];
  source: RecordingSource;
}

function interfaceFilter(globs: readonly string[]): (name: string) => boolean {
  if (globs.length === 0) return (n) => n !== 'lo';
  for (const g of globs) {
    const problem = globProblem(g);
    if (problem) throw new OffloadError('usage', `invalid --interface ${JSON.stringify(g)}: ${problem}`);
  }
  const pm = picomatchLib();
  const matchers = globs.map((g) => pm(g));
  return (n) => matchers.some((m) => m(n));
}

/** `offloadctl effect`: find the change, the recording around it, and compare before with after. */
export async function runEffect(o: EffectOptions): Promise<EffectReport> {
  if (o.change && o.at) throw new OffloadError('usage', '--change and --at exclude each other');
  let span: ChangeSpan;
  let rec;
  if (o.change) {
    span = changeFromSnapshot(new SnapshotStore(o.source.stateDir), o.change);
    rec = await loadRecording(o.source, span.start);
  } else if (o.at) {
    const t = parseTime(o.at);
    rec = await loadRecording(o.source, t);
    span = changeAtTime(rec, t);
  } else {
    rec = await loadRecording(o.source, null);
    const last = lastMarkedChange(rec);
    if (!last)
      throw new OffloadError(
        'usage',
        'the recording marks no offload change: name one with --change SNAPSHOT_ID or --at TIME',
      );
    span = last;
  }
  return compareAroundChange(rec, span, {
    windowMs: o.windowMs,
    settleMs: o.settleMs,
    select: interfaceFilter(o.interfaces),
  });
}
