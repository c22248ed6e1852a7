/**
 * The HTTP fuzzer's generator and raw-socket client, shared by test/unit/agent/http-fuzz.test.ts
 * (the real server with a fake AgentApi, 10,000 cases) and test/netns/agent-http-fuzz.test.ts (a
 * real agent process in a namespace; the client runs inside it: http-fuzz-client.ts).
 */
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';

export const FUZZ_TOKEN = 'abcdefghijklmnop0123456789';

export interface RawAnswer {
  /** Status codes of every response seen on the connection (pipelined requests: several). */
  statuses: number[];
  /** The first bytes were not an HTTP/1.1 status line. */
  malformed: boolean;
  text: string;
  timedOut: boolean;
}

/** Send raw bytes, optionally half-close, and collect what comes back until the server closes. */
export function raw(
  port: number,
  chunks: Buffer[],
  opts: { end?: boolean; waitMs?: number } = {},
  host = '127.0.0.1',
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const s: Socket = connect(port, host);
    const got: Buffer[] = [];
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      s.destroy();
    }, opts.waitMs ?? 15_000);
    s.on('data', (b) => got.push(b));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      const text = Buffer.concat(got).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ statuses, malformed: text.length > 0 && !text.startsWith('HTTP/1.1 '), text, timedOut });
    });
    s.on('connect', async () => {
      for (const c of chunks) {
        if (s.destroyed) break;
        s.write(c);
        await new Promise((r) => setImmediate(r));
      }
      if (opts.end !== false) s.end();
      else setTimeout(() => s.destroy(), 20); // an abandoned partial request
    });
  });
}

const tchar = fc.constantFrom(..."!#$%&'*+-.^_`|~abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
const anyText = fc.string({ unit: 'binary', maxLength: 200 });
const method = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('GET', 'HEAD', 'POST') },
  fc.constantFrom(
    'GET',
    'HEAD',
    'POST',
    'PUT',
    'DELETE',
    'OPTIONS',
    'PATCH',
    'TRACE',
    'CONNECT',
    'PRI',
    'get',
    'GET ',
    '',
  ),
  fc.string({ unit: tchar, minLength: 1, maxLength: 20 }),
  anyText,
);
const knownPath = fc.constantFrom(
  '/metrics',
  '/api/state',
  '/api/events',
  '/healthz',
  '/api/reconcile',
  '/api/mode',
  '/',
  '//',
  '//x:99999',
  '///',
  '/api//mode',
  '/healthz/',
  '/api/events?since=-1&limit=1e309',
  '/api/events?since=abc&limit=-5',
  '/api/events?limit=0',
  '*',
  'http://agent/metrics',
  'http://[::1/',
  '//[',
  '/?',
  '/#',
  '/%00',
  '/%E0%A4%A',
);
const path = fc.oneof(
  { weight: 4, arbitrary: knownPath },
  { weight: 2, arbitrary: fc.tuple(knownPath, fc.string({ maxLength: 40 })).map(([a, b]) => a + b) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }).map((s) => '/' + s) },
  { weight: 1, arbitrary: anyText },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => '/' + 'a'.repeat(n)) },
);
const header = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      `Authorization: Bearer ${FUZZ_TOKEN}`,
      'Content-Type: application/json',
      'Connection: keep-alive',
      'Accept: */*',
    ),
  },
  fc.constantFrom(
    `Authorization: Bearer ${FUZZ_TOKEN}`,
    'Authorization: Bearer wrong',
    'Authorization: Bearer',
    'Authorization: ',
    'Content-Length: 5',
    'Content-Length: -1',
    'Content-Length: 99999999999999999999',
    'Content-Length: 100000',
    'Content-Length: 3, 4',
    'Transfer-Encoding: chunked',
    'Transfer-Encoding: gzip, chunked',
    'Content-Type: application/json',
    'Connection: keep-alive',
    'Connection: upgrade',
    'Upgrade: websocket',
    'Expect: 100-continue',
    'Host: ',
    'Host: a:99999',
  ),
  fc.tuple(fc.string({ unit: tchar, minLength: 1, maxLength: 30 }), anyText).map(([k, v]) => `${k}: ${v}`),
  fc.integer({ min: 1, max: 40_000 }).map((n) => `X-Big: ${'b'.repeat(n)}`),
  anyText,
);
const body = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  fc.constantFrom(
    '',
    'null',
    '{}',
    '[]',
    '{"mode":"report"}',
    '{"mode":"enforce"}',
    '{"mode":null}',
    '"x"',
    '{',
    '0\r\n\r\n',
    '5\r\nhello\r\n0\r\n\r\n',
    'zz\r\n',
  ),
  anyText,
  fc.integer({ min: 1, max: 64 * 1024 }).map((n) => 'x'.repeat(n)),
);
const version = fc.oneof(
  { weight: 8, arbitrary: fc.constant('HTTP/1.1') },
  fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1 extra', ''),
);
const eol = fc.oneof({ weight: 8, arbitrary: fc.constant('\r\n') }, fc.constantFrom('\n', '\r'));
export const request = fc
  .record({
    method,
    path,
    version,
    headers: fc.array(header, { maxLength: 6 }),
    body,
    eol,
    // how the request arrives: whole; cut short and the connection half-closed; cut short and abandoned;
    // byte by byte in a few pieces; twice pipelined
    shape: fc.constantFrom('whole', 'whole', 'whole', 'cut-end', 'cut-abandon', 'pieces', 'pipelined'),
    cut: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map((r) => {
    const head = `${r.method} ${r.path} ${r.version}${r.eol}${r.headers.map((h) => h + r.eol).join('')}Host: agent${r.eol}${r.eol}`;
    const bytes = Buffer.from(head + r.body, 'latin1');
    return { ...r, bytes };
  });

export function chunksOf(c: { bytes: Buffer; shape: string; cut: number }): { chunks: Buffer[]; end: boolean } {
  const { bytes, shape, cut } = c;
  const at = Math.floor(bytes.length * cut);
  switch (shape) {
    case 'cut-end':
      return { chunks: [bytes.subarray(0, at)], end: true };
    case 'cut-abandon':
      return { chunks: [bytes.subarray(0, at)], end: false };
    case 'pieces':
      return { chunks: [bytes.subarray(0, at), bytes.subarray(at, at + 7), bytes.subarray(at + 7)], end: true };
    case 'pipelined':
      return { chunks: [bytes, bytes], end: true };
    default:
      return { chunks: [bytes], end: true };
  }
}

export interface FuzzResult {
  cases: number;
  answered: number;
  statuses: Record<string, number>;
  failures: string[];
}

/** Run the cases `parallel` at a time against 127.0.0.1:port; stop collecting after 5 failures. */
export async function runFuzz(
  port: number,
  runs: number,
  seed: number,
  parallel = 16,
  host = '127.0.0.1',
): Promise<FuzzResult> {
  const cases = fc.sample(request, { numRuns: runs, seed });
  let answered = 0;
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length && failures.length < 5) {
      const i = next++;
      const c = cases[i]!;
      const { chunks, end } = chunksOf(c);
      const r = await raw(port, chunks, { end }, host);
      if (r.statuses.length) answered++;
      for (const st of r.statuses) statuses.set(st, (statuses.get(st) ?? 0) + 1);
      const bad = r.malformed || r.statuses.some((st) => st >= 500 && st !== 503) || (r.timedOut && end);
      if (bad)
        failures.push(
          `case ${i} (seed ${seed}): ${JSON.stringify(c.bytes.toString('latin1').slice(0, 300))} → ${JSON.stringify(r.text.slice(0, 200))}${r.timedOut ? ' (no close)' : ''}`,
        );
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return {
    cases: cases.length,
    answered,
    statuses: Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])),
    failures,
  };
}
