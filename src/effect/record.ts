import { hostname } from 'node:os';
import { join } from 'node:path';
import { readHostCounters } from '../kernel/host-counters.js';
import { checkStateDir } from '../apply/state-dir.js';
import { Recorder } from './recorder.js';
import { RecordingWriter, RECORDINGS_SUBDIR } from './recording-file.js';
import type { ChangeMark } from './types.js';

export interface RecordOptions {
  durationMs: number;
  intervalMs: number;
  /** File to write; default STATE_DIR/effect/TIME.jsonl. */
  output?: string;
  stateDir: string;
  netns: string | null;
  /** Mark offload changes seen through the kernel's ethtool monitor (FEATURES_NTF). */
  watchChanges: boolean;
  log: (line: string) => void;
}

export interface RecordResult {
  path: string;
  samples: number;
  marks: number;
  interrupted: boolean;
}

/** Marks from FEATURES_NTF arrive per device; gather those within this many ms into one mark. */
const MARK_GATHER_MS = 250;

function defaultPath(stateDir: string, now: Date): string {
  // The state directory's rules (owner, mode) hold for its effect/ subdirectory too.
  checkStateDir(stateDir, { create: true });
  const dir = join(stateDir, RECORDINGS_SUBDIR);
  checkStateDir(dir, { create: true });
  return join(dir, `${now.toISOString().replace(/[-:]/g, '').replace('.', '-')}.jsonl`);
}

/**
 * `effect record`: sample the counters for a duration into a recording file, marking every offload
 * change the kernel announces meanwhile (by anyone: apply, restore, the agent, a hand-typed ethtool).
 * SIGINT/SIGTERM end it early with the file complete.
 */
export async function record(o: RecordOptions): Promise<RecordResult> {
  const path = o.output ?? defaultPath(o.stateDir, new Date());
  let samples = 0;
  let marks = 0;
  const recorder = new Recorder({
    intervalMs: o.intervalMs,
    capacity: 2, // the file keeps the samples; memory only needs the last one
    read: () => readHostCounters(),
    hostname: hostname(),
    netns: o.netns,
    onSample: (s, names) => {
      writer.sample(s, names);
      samples++;
    },
  });
  const writer = new RecordingWriter(path, {
    hostname: hostname(),
    netns: o.netns,
    intervalMs: o.intervalMs,
    startedAt: recorder.startedAt,
  });
  const onMark = (m: ChangeMark) => {
    writer.mark(m);
    marks++;
  };

  let monitor: { close(): void } | null = null;
  if (o.watchChanges) {
    try {
      const { openMonitor } = await import('../kernel/monitor/netlink-monitor.js');
      const mon = await openMonitor();
      let pending: { at: number; names: Set<string> } | null = null;
      mon.onEvent((e) => {
        if (e.type !== 'features') return;
        if (!pending) {
          const p = { at: Date.now(), names: new Set<string>() };
          pending = p;
          setTimeout(() => {
            pending = null;
            onMark({ at: p.at, source: 'kernel', interfaces: [...p.names].sort() });
          }, MARK_GATHER_MS).unref();
        }
        pending.names.add(e.name);
      });
      mon.onError((e) =>
        o.log(`effect record: the kernel monitor failed (${e.message}); recording goes on without change marks`),
      );
      monitor = mon;
    } catch (e) {
      o.log(`effect record: no kernel monitor (${(e as Error).message}); recording without change marks`);
    }
  }

  let interrupted = false;
  await new Promise<void>((resolve) => {
    const finish = () => {
      clearInterval(timer);
      clearTimeout(deadline);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    const stop = () => {
      interrupted = true;
      finish();
    };
    const tick = () => void recorder.sampleOnce();
    tick();
    const timer = setInterval(tick, o.intervalMs);
    // One more interval past the duration so the last sample ends at or after it.
    const deadline = setTimeout(() => void recorder.sampleOnce().then(finish), o.durationMs);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // Let a mark being gathered land in the file.
  await new Promise((r) => setTimeout(r, MARK_GATHER_MS + 50));
  monitor?.close();
  writer.close();
  return { path, samples, marks, interrupted };
}
