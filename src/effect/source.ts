import { OffloadError } from '../model/errors.js';
import { listRecordingFiles, parseRecording, readRecordingFile } from './recording-file.js';
import type { Recording } from './types.js';

/** Where `effect` finds counters: a file, a running agent, or the state directory's recordings. */
export interface RecordingSource {
  recording?: string;
  agent?: string;
  stateDir: string;
}

/** First and last time a recording covers. */
export function coverage(rec: Recording): { from: number; to: number } | null {
  const first = rec.samples[0];
  const last = rec.samples[rec.samples.length - 1];
  return first && last ? { from: first.t - first.dt, to: last.t } : null;
}

/** GET AGENT/api/effect/recording: the agent's in-memory ring. */
export async function fetchAgentRecording(base: string, from?: number, to?: number): Promise<Recording> {
  const url = new URL('/api/effect/recording', base);
  if (from !== undefined) url.searchParams.set('from', String(from));
  if (to !== undefined) url.searchParams.set('to', String(to));
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    throw new OffloadError('system', `agent at ${base}: ${(e as Error).message}`);
  }
  if (!res.ok)
    throw new OffloadError(
      'system',
      `agent at ${base}: HTTP ${res.status} for /api/effect/recording${res.status === 404 ? ' (the agent records only with --record-interval above 0)' : ''}`,
    );
  // The agent sends the same lines a recording file holds.
  return parseRecording(await res.text(), `${base}/api/effect/recording`);
}

/**
 * The recording that covers time `at`: the given file, the agent's, or the newest recording in
 * STATE_DIR/effect/ whose samples span it.
 */
export async function loadRecording(src: RecordingSource, at: number | null): Promise<Recording> {
  if (src.recording) return readRecordingFile(src.recording);
  if (src.agent) return fetchAgentRecording(src.agent);
  const files = listRecordingFiles(src.stateDir);
  if (files.length === 0) {
    throw new OffloadError(
      'not-found',
      `no recordings in ${src.stateDir}/effect: run \`offloadctl effect record\` around the change, or point --agent at an agent that records`,
    );
  }
  if (at === null) return readRecordingFile(files[files.length - 1]!);
  for (const f of [...files].reverse()) {
    const rec = readRecordingFile(f);
    const c = coverage(rec);
    if (c && c.from <= at && at <= c.to) return rec;
  }
  throw new OffloadError(
    'not-found',
    `no recording in ${src.stateDir}/effect covers ${new Date(at).toISOString()} (${files.length} recordings)`,
  );
}
