import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { checkBearer } from './token.js';
import type { Mode } from './reconcile.js';

/** What the HTTP layer needs from the agent; the agent implements it, tests fake it. */
export interface AgentApi {
  metrics(): Promise<{ contentType: string; body: string }>;
  state(): unknown;
  events(since: number, limit: number): unknown;
  /** ok false: 503. degraded: still 200 (enforcement goes on), the body says why. */
  health(): { ok: boolean; reason: string; degraded?: string | null };
  /** Full dump and reconcile; resolves with a summary when done. */
  reconcile(): Promise<unknown>;
  setMode(mode: Mode): unknown;
  /** The passive recorder's ring as recording-file lines (offloadctl effect --agent); absent when not recording. */
  effectRecording?(from?: number, to?: number): string;
}

export interface HttpOptions {
  host: string;
  port: number;
  /** Bearer token for POST calls; null: every POST gets 401. */
  token: () => string | null;
  /** Called once per request denied for auth (logged by the agent, rate-limited there). */
  onDenied?: (method: string, path: string, remote: string | undefined) => void;
  /** Called when a request handler failed unexpectedly (it was answered 500; the agent goes on). */
  onError?: (e: Error) => void;
  /** Open connections kept; a new one beyond this closes the oldest without a request in flight. */
  maxConnections?: number;
  /** /metrics is rendered at most once per this many ms (default 1000; throttledMetrics). */
  metricsIntervalMs?: number;
  /** The page's routes (src/ui/server/ui-routes.ts), asked first: true when it answered. */
  ui?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
}

/** Limits of the listener (docs/hardening.md). */
export const HTTP_LIMITS = {
  /** Largest request body read (POST /api/mode needs ~20 bytes); larger: 413. */
  maxBody: 4096,
  /** Connections kept open (idle ones beyond it are closed, oldest first). */
  maxConnections: 256,
  /** Hard cap: accepted sockets beyond it are closed at once by Node (server.maxConnections). */
  hardMaxConnections: 1024,
  /** A request's headers must arrive within this (slowloris), ms. */
  headersTimeoutMs: 10_000,
  /** A whole request must arrive within this, ms. */
  requestTimeoutMs: 30_000,
  /** An idle keep-alive connection is closed after this, ms. */
  keepAliveTimeoutMs: 5_000,
  /** A socket with no traffic at all is closed after this, ms (also one that never sends a byte). */
  idleSocketTimeoutMs: 15_000,
  /** /metrics renders at most once per this, ms (throttledMetrics). */
  metricsIntervalMs: 1_000,
  /** How often Node checks the headers/request timeouts, ms. */
  connectionsCheckingIntervalMs: 1_000,
} as const;

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
  extra: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', ...extra });
  res.end(text);
}

type Body = { ok: true; text: string } | { ok: false; tooLarge: true };

/**
 * The request body, at most `max` bytes. A larger one (by Content-Length or as it arrives) is not
 * kept: the rest is read and dropped so the client gets its 413 instead of a reset.
 */
function readBody(req: IncomingMessage, max: number): Promise<Body> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      req.resume();
      return resolve({ ok: false, tooLarge: true });
    }
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        chunks.length = 0;
        resolve({ ok: false, tooLarge: true }); // later data is dropped (no listener keeps it)
      } else chunks.push(c);
    });
    req.on('end', () =>
      resolve(size > max ? { ok: false, tooLarge: true } : { ok: true, text: Buffer.concat(chunks).toString('utf8') }),
    );
    req.on('error', () => resolve({ ok: true, text: '' })); // the client went away: nothing to answer
  });
}

/**
 * /metrics rendered at most once per `minIntervalMs`, never stale: a scrape gets a render that
 * started at or after it arrived. Scrapes that arrive while a render is due share the next one,
 * which starts `minIntervalMs` after the previous one did. So back-to-back scrapers (a `while
 * curl` loop, several Prometheus servers) cost at most one render per interval, however many
 * there are: rendering runs on the agent's event loop, and every render delays enforcement by its
 * length (a burst of new taps waited behind continuous scrapes: p99 0.1–0.25 s became 0.5–2.5 s).
 */
export function throttledMetrics(
  render: AgentApi['metrics'],
  minIntervalMs: number,
  now: () => number = Date.now,
): AgentApi['metrics'] {
  let lastStart = -Infinity;
  let inflight: Promise<unknown> | null = null;
  let next: Promise<{ contentType: string; body: string }> | null = null;
  const start = () => {
    lastStart = now();
    const p = render();
    inflight = p;
    const clear = () => {
      if (inflight === p) inflight = null;
    };
    p.then(clear, clear);
    return p;
  };
  return () => {
    if (next) return next; // not started yet: it will see everything this scrape should
    const wait = Math.max(0, lastStart + minIntervalMs - now());
    if (wait === 0 && !inflight) return start();
    const after = inflight ?? Promise.resolve();
    const p = new Promise<{ contentType: string; body: string }>((resolve, reject) => {
      const go = () => {
        const w = Math.max(0, lastStart + minIntervalMs - now());
        setTimeout(() => {
          next = null;
          start().then(resolve, reject);
        }, w);
      };
      after.then(go, go);
    });
    next = p;
    return p;
  };
}

/**
 * Routes: GET /metrics, /api/state, /api/events[?since=N&limit=M], /api/effect/recording[?from=MS&to=MS], /healthz;
 * POST /api/reconcile, POST /api/mode {"mode":"enforce"|"report"} (bearer token, else 401).
 * No request may end the process: every failure, however the request is malformed, is answered
 * (4xx, or 500 for a failure of the agent's own) and reported to onError.
 */
export function handler(api: AgentApi, opts: Pick<HttpOptions, 'token' | 'onDenied' | 'onError' | 'ui'>) {
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // `GET //` or `GET //x:99999`: req.url is not a path, and as a relative URL it names a host
    // (an invalid one): `new URL` throws. Parse only the path, never as an authority.
    const raw = req.url ?? '/';
    let url: URL;
    try {
      url = raw.startsWith('/') ? new URL('http://agent' + raw) : new URL(raw, 'http://agent/');
    } catch {
      return send(res, 400, { error: 'bad request target' });
    }
    // The page's routes (src/ui/server/ui-routes.ts) are asked first.
    if (opts.ui && (await opts.ui(req, res, url))) return;
    const path = url.pathname;
    if (req.method === 'GET' || req.method === 'HEAD') {
      switch (path) {
        case '/metrics': {
          const m = await api.metrics();
          return send(res, 200, m.body, m.contentType);
        }
        case '/api/state':
          return send(res, 200, api.state());
        case '/api/events': {
          const since = Number(url.searchParams.get('since') ?? 0) || 0;
          const limit = Math.max(1, Math.min(10_000, Number(url.searchParams.get('limit') ?? 1000) || 1000));
          return send(res, 200, api.events(since, limit));
        }
        case '/api/effect/recording': {
          if (!api.effectRecording) return send(res, 404, { error: 'not recording (agent --record-interval 0)' });
          const num = (k: string) => {
            const v = url.searchParams.get(k);
            return v === null || !Number.isFinite(Number(v)) ? undefined : Number(v);
          };
          return send(res, 200, api.effectRecording(num('from'), num('to')), 'application/x-ndjson');
        }
        case '/healthz': {
          const h = api.health();
          const text = !h.ok ? `unhealthy: ${h.reason}\n` : h.degraded ? `degraded: ${h.degraded}\n` : 'ok\n';
          return send(res, h.ok ? 200 : 503, text, 'text/plain; charset=utf-8');
        }
      }
      if (path === '/api/reconcile' || path === '/api/mode')
        return send(res, 405, { error: 'use POST' }, undefined, { allow: 'POST' });
      return send(res, 404, { error: 'not found' });
    }
    if (req.method === 'POST' && (path === '/api/reconcile' || path === '/api/mode')) {
      // Authenticate before reading or acting on anything.
      if (!checkBearer(req.headers.authorization, opts.token())) {
        opts.onDenied?.(req.method, path, req.socket.remoteAddress);
        return send(
          res,
          401,
          { error: 'unauthorized: Authorization: Bearer <token from --token-file> required' },
          undefined,
          {
            'www-authenticate': 'Bearer realm="offloadctl"',
          },
        );
      }
      if (path === '/api/reconcile') return send(res, 200, await api.reconcile());
      const body = await readBody(req, HTTP_LIMITS.maxBody);
      if (!body.ok)
        return send(res, 413, { error: `body larger than ${HTTP_LIMITS.maxBody} bytes` }, undefined, {
          connection: 'close',
        });
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.text || '{}');
      } catch {
        return send(res, 400, { error: 'body must be JSON: {"mode":"enforce"|"report"}' });
      }
      const mode =
        parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
          ? (parsed as { mode?: unknown }).mode
          : undefined;
      if (mode !== 'enforce' && mode !== 'report')
        return send(res, 400, { error: 'body must be {"mode":"enforce"} or {"mode":"report"}' });
      return send(res, 200, api.setMode(mode));
    }
    return send(res, 405, { error: 'method not allowed' });
  };
  return (req: IncomingMessage, res: ServerResponse): Promise<void> =>
    route(req, res).catch((e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      try {
        opts.onError?.(err);
      } catch {
        /* a failing logger must not end the process either */
      }
      send(res, 500, { error: 'internal error' });
    });
}

/**
 * Keep at most `limit` connections: a new one beyond it closes the oldest connection that has no
 * request in flight (idle keep-alive, never a byte sent, or headers still trickling in), so idle
 * or slow clients cannot starve /healthz. Returns the number of open connections (tests).
 */
function limitConnections(server: Server, limit: number): () => number {
  const open = new Set<Socket>(); // insertion order: oldest first
  const busy = new WeakSet<Socket>();
  server.on('connection', (s: Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
    s.setTimeout(HTTP_LIMITS.idleSocketTimeoutMs, () => s.destroy());
    if (open.size > limit) {
      for (const old of open) {
        if (old === s || busy.has(old)) continue;
        old.destroy();
        open.delete(old);
        break;
      }
    }
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const s = req.socket;
    busy.add(s);
    res.once('close', () => busy.delete(s));
  });
  return () => open.size;
}

export function startHttp(api: AgentApi, opts: HttpOptions): Promise<Server> {
  const throttled = {
    ...api,
    metrics: throttledMetrics(() => api.metrics(), opts.metricsIntervalMs ?? HTTP_LIMITS.metricsIntervalMs),
  };
  const server = createServer(
    {
      connectionsCheckingInterval: HTTP_LIMITS.connectionsCheckingIntervalMs,
      requestTimeout: HTTP_LIMITS.requestTimeoutMs,
    },
    handler(throttled, opts),
  );
  server.keepAliveTimeout = HTTP_LIMITS.keepAliveTimeoutMs;
  server.headersTimeout = HTTP_LIMITS.headersTimeoutMs;
  server.requestTimeout = HTTP_LIMITS.requestTimeoutMs;
  server.maxConnections = HTTP_LIMITS.hardMaxConnections;
  limitConnections(server, opts.maxConnections ?? HTTP_LIMITS.maxConnections);
  // What Node's HTTP parser rejects (bad request line, headers too large, too slow) Node answers
  // itself (400, 431, 408) and closes: its default 'clientError' handling, kept on purpose (it
  // does not write into a response already under way on that connection).
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
