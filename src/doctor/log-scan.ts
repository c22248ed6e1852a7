import { StringDecoder } from 'node:string_decoder';
import { parseLogLine } from './log-line.js';
import { matchMessage } from './signatures.js';
import type { LogHit, LogScanResult, Signature } from './types.js';

/** Evidence lines kept per (signature, interface): memory stays bounded however long the log. */
export const EVIDENCE_LINES = 3;
const EVIDENCE_CHARS = 400;
/** Continuation lines kept after the first evidence line of a hit. */
export const CONTEXT_LINES = 8;

/** An indented continuation of the previous message (register dumps after a hang line). */
const CONTINUATION = /^\s{2,}\S|^(?:buffer_info|MAC Status|PHY |PCI Status)/;

/**
 * Lines in no known format may still carry a kernel message behind a prefix this parser does not
 * know (Talos `kern: err: [2024-…Z]: msg`, OpenWrt logread `… kern.err kernel: [ 12.3] msg`): the
 * text after the first bracketed stamp is tried as the message too.
 */
const UNKNOWN_PREFIX = /^[^[]{0,80}\[[^\]]{1,60}\]:? ?/;
/** A "line" longer than this (a binary file, no newlines) is cut: memory stays bounded. */
const MAX_LINE = 16 * 1024;

/**
 * Split a byte/string stream into lines as it arrives. `for await` over the source pulls one chunk
 * at a time, so a file is never read whole; a line longer than MAX_LINE is truncated.
 */
export async function* linesOf(source: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let skipping = false; // inside an over-long line: drop until the next newline
  for await (const chunk of source) {
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      if (!skipping) yield text.slice(start, Math.min(nl, start + MAX_LINE));
      skipping = false;
      start = nl + 1;
    }
    rest = text.slice(start);
    if (rest.length > MAX_LINE) {
      if (!skipping) yield rest.slice(0, MAX_LINE);
      skipping = true;
      rest = '';
    }
  }
  rest += decoder.end();
  if (rest.length > 0 && !skipping) yield rest.slice(0, MAX_LINE);
}

/** Evidence goes to terminals: control characters of a hostile or binary file become \xNN. */
function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export interface ScanOptions {
  signatures: readonly Signature[];
  /** Where the lines come from, for the report. */
  source: string;
  /** Only lines at or after this wall-clock time (ms) count; null = all. */
  sinceMs?: number | null;
  /** Wall-clock time of boot (ms), to place kmsg/dmesg monotonic stamps; null when unknown. */
  bootMs?: number | null;
  nowMs?: number;
}

/** Match every line against the signatures; aggregate hits per (signature, interface, driver). */
export async function scanLog(lines: AsyncIterable<string>, opts: ScanOptions): Promise<LogScanResult> {
  const nowMs = opts.nowMs ?? Date.now();
  const sinceMs = opts.sinceMs ?? null;
  const bootMs = opts.bootMs ?? null;
  const hits = new Map<string, LogHit>();
  let linesRead = 0;
  let linesMatched = 0;
  let linesTooOld = 0;
  let linesNotKernel = 0;
  let untimed = 0;
  let lastHit: LogHit | null = null;
  let contextLeft = 0;
  for await (const raw of lines) {
    linesRead++;
    const p = parseLogLine(raw, nowMs);
    if (!p) continue;
    if (p.ident !== null && p.ident !== 'kernel') {
      linesNotKernel++;
      continue;
    }
    const at = p.wallMs ?? (p.monotonic !== null && bootMs !== null ? bootMs + p.monotonic * 1000 : null);
    if (sinceMs !== null) {
      if (at === null) untimed++;
      else if (at < sinceMs) {
        linesTooOld++;
        continue;
      }
    }
    const unprefixed = p.format === 'plain' ? p.message.replace(UNKNOWN_PREFIX, '') : p.message;
    if (lastHit && contextLeft > 0 && (CONTINUATION.test(p.message) || CONTINUATION.test(unprefixed))) {
      lastHit.context.push(printable(raw.length > EVIDENCE_CHARS ? raw.slice(0, EVIDENCE_CHARS) + '…' : raw));
      contextLeft--;
      continue;
    }
    lastHit = null;
    let m = matchMessage(p.message, opts.signatures);
    if (!m && unprefixed !== p.message) m = matchMessage(unprefixed, opts.signatures);
    if (!m) continue;
    linesMatched++;
    const key = `${m.signature.id}\0${m.ifname ?? ''}\0${m.driver ?? ''}`;
    let h = hits.get(key);
    if (!h) {
      h = {
        signature: m.signature.id,
        ifname: m.ifname,
        driver: m.driver,
        count: 0,
        evidence: [],
        lineNumbers: [],
        context: [],
        firstMs: at,
        lastMs: at,
      };
      hits.set(key, h);
      lastHit = h;
      contextLeft = CONTEXT_LINES;
    }
    h.count++;
    if (at !== null) {
      if (h.firstMs === null || at < h.firstMs) h.firstMs = at;
      if (h.lastMs === null || at > h.lastMs) h.lastMs = at;
    }
    if (h.evidence.length < EVIDENCE_LINES) {
      h.evidence.push(printable(raw.length > EVIDENCE_CHARS ? raw.slice(0, EVIDENCE_CHARS) + '…' : raw));
      h.lineNumbers.push(linesRead);
    }
  }
  const notes: string[] = [];
  if (untimed > 0) {
    notes.push(
      `${untimed} line(s) had no usable time (monotonic stamps without a known boot time): not filtered by --since`,
    );
  }
  return { source: opts.source, linesRead, linesMatched, linesTooOld, linesNotKernel, hits: [...hits.values()], notes };
}
