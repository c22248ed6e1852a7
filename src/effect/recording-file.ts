import { closeSync, fstatSync, openSync, readFileSync, readdirSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { OffloadError } from '../model/errors.js';
import type { ChangeMark, Recording, SampleDelta } from './types.js';

/**
 * A recording on disk: JSON lines, appended as the recorder goes, so a recording cut short (killed,
 * full disk) is still readable up to its last whole line.
 *   {"recording":1,"hostname":…,"netns":…,"intervalMs":…,"startedAt":…}   first line
 *   {"names":[…]}        interface names first seen in the next sample (indices continue)
 *   {"s":{t,dt,cpu,netRx,netTx,rows}}                                      a sample
 *   {"m":{at,source,interfaces,…}}                                         a change mark
 */
export const RECORDINGS_SUBDIR = 'effect';

export class RecordingWriter {
  private fd: number;
  constructor(
    readonly path: string,
    head: Pick<Recording, 'hostname' | 'netns' | 'intervalMs' | 'startedAt'>,
  ) {
    // O_EXCL + O_NOFOLLOW: never write through a planted file or link.
    this.fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    this.line({ recording: 1, ...head });
  }

  sample(s: SampleDelta, newNames: string[]): void {
    if (newNames.length) this.line({ names: newNames });
    this.line({ s });
  }

  mark(m: ChangeMark): void {
    this.line({ m });
  }

  private line(v: unknown): void {
    writeSync(this.fd, JSON.stringify(v) + '\n');
  }

  close(): void {
    closeSync(this.fd);
  }
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(isNum);

function badSample(s: unknown): boolean {
  const x = s as Partial<SampleDelta> | null;
  return (
    !x || !isNum(x.t) || !isNum(x.dt) || !isNumArray(x.cpu) || !isNum(x.netRx) || !isNum(x.netTx) || !isNumArray(x.rows)
  );
}

function badMark(m: unknown): boolean {
  const x = m as Partial<ChangeMark> | null;
  return (
    !x ||
    !isNum(x.at) ||
    typeof x.source !== 'string' ||
    !Array.isArray(x.interfaces) ||
    !x.interfaces.every((n) => typeof n === 'string')
  );
}

/** Parse a recording file's text; a last line cut short is ignored, any other bad line refused. */
export function parseRecording(text: string, where: string): Recording {
  const lines = text.split('\n');
  const complete = text.endsWith('\n') ? lines.length - 1 : lines.length - 1; // the last piece is '' or a cut line
  let rec: Recording | null = null;
  for (let i = 0; i < complete; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new OffloadError('input', `${where}:${i + 1}: not a JSON line`);
    }
    if (i === 0 || !rec) {
      if (v.recording !== 1 || !isNum(v.intervalMs) || !isNum(v.startedAt) || typeof v.hostname !== 'string') {
        throw new OffloadError('input', `${where}:${i + 1}: not an offloadctl recording (version 1)`);
      }
      rec = {
        version: 1,
        hostname: v.hostname,
        netns: typeof v.netns === 'string' ? v.netns : null,
        intervalMs: v.intervalMs,
        startedAt: v.startedAt,
        names: [],
        samples: [],
        marks: [],
      };
    } else if ('names' in v) {
      if (!Array.isArray(v.names) || !v.names.every((n) => typeof n === 'string'))
        throw new OffloadError('input', `${where}:${i + 1}: bad names line`);
      rec.names.push(...(v.names as string[]));
    } else if ('s' in v) {
      if (badSample(v.s)) throw new OffloadError('input', `${where}:${i + 1}: bad sample line`);
      rec.samples.push(v.s as SampleDelta);
    } else if ('m' in v) {
      if (badMark(v.m)) throw new OffloadError('input', `${where}:${i + 1}: bad mark line`);
      rec.marks.push(v.m as ChangeMark);
    }
  }
  if (!rec) throw new OffloadError('input', `${where}: empty recording`);
  return rec;
}

/** Largest recording file read (a 1-hour, 1-second recording of 1,000 busy interfaces is ~200 MB; refuse more). */
const MAX_RECORDING_BYTES = 512 << 20;

export function readRecordingFile(path: string): Recording {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    throw new OffloadError('input', `${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new OffloadError('input', `${path}: not a regular file`);
    if (st.size > MAX_RECORDING_BYTES)
      throw new OffloadError(
        'input',
        `${path}: ${st.size} bytes, more than the ${MAX_RECORDING_BYTES} a recording may have`,
      );
    return parseRecording(readFileSync(fd, 'utf8'), path);
  } finally {
    closeSync(fd);
  }
}

/** Recording files in STATE_DIR/effect/, oldest first (names sort by start time). */
export function listRecordingFiles(stateDir: string): string[] {
  const dir = join(stateDir, RECORDINGS_SUBDIR);
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** A whole recording as the lines of a recording file (what the agent serves). */
export function formatRecording(rec: Recording): string {
  const out = [
    JSON.stringify({
      recording: 1,
      hostname: rec.hostname,
      netns: rec.netns,
      intervalMs: rec.intervalMs,
      startedAt: rec.startedAt,
    }),
  ];
  if (rec.names.length) out.push(JSON.stringify({ names: rec.names }));
  for (const s of rec.samples) out.push(JSON.stringify({ s }));
  for (const m of rec.marks) out.push(JSON.stringify({ m }));
  return out.join('\n') + '\n';
}
