import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { checkBearer } from './token.js';
import type { Mode } from './reconcile.js';

/** What the HTTP layer needs from the agent; the agent implements it, tests fake it. */
export interface AgentApi {
  metrics(): Promise<{ contentType: string; body: string }>;
  state(): unknown;
  events(since: number, limit: number): unknown;
  health(): { ok: boolean; reason: string };
  /** Full dump and reconcile; resolves with a summary when done. */
  reconcile(): Promise<unknown>;
  setMode(mode: Mode): unknown;
}

export interface HttpOptions {
  host: string;
  port: number;
  /** Bearer token for POST calls; null: every POST gets 401. */
  token: () => string | null;
  /** Called once per request denied for auth (logged by the agent). */
  onDenied?: (method: string, path: string, remote: string | undefined) => void;
  /** The page's routes (src/ui/server/ui-routes.ts), asked first: true when it answered. */
  ui?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
}

const MAX_BODY = 4096;

function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Routes: GET /metrics, /api/state, /api/events[?since=N&limit=M], /healthz;
 * POST /api/reconcile, POST /api/mode {"mode":"enforce"|"report"} (bearer token, else 401).
 */
export function handler(api: AgentApi, opts: Pick<HttpOptions, 'token' | 'onDenied' | 'ui'>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://agent');
    const path = url.pathname;
    try {
      if (opts.ui && (await opts.ui(req, res, url))) return;
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
            const limit = Math.min(10_000, Number(url.searchParams.get('limit') ?? 1000) || 1000);
            return send(res, 200, api.events(since, limit));
          }
          case '/healthz': {
            const h = api.health();
            return send(res, h.ok ? 200 : 503, h.ok ? 'ok\n' : `unhealthy: ${h.reason}\n`, 'text/plain; charset=utf-8');
          }
        }
        if (path === '/api/reconcile' || path === '/api/mode') return send(res, 405, { error: 'use POST' });
        return send(res, 404, { error: 'not found' });
      }
      if (req.method === 'POST' && (path === '/api/reconcile' || path === '/api/mode')) {
        // Authenticate before reading or acting on anything.
        if (!checkBearer(req.headers.authorization, opts.token())) {
          opts.onDenied?.(req.method, path, req.socket.remoteAddress);
          res.setHeader('www-authenticate', 'Bearer realm="offloadctl"');
          return send(res, 401, { error: 'unauthorized: Authorization: Bearer <token from --token-file> required' });
        }
        if (path === '/api/reconcile') return send(res, 200, await api.reconcile());
        let body: { mode?: unknown };
        try {
          body = JSON.parse((await readBody(req)) || '{}') as { mode?: unknown };
        } catch {
          return send(res, 400, { error: 'body must be JSON: {"mode":"enforce"|"report"}' });
        }
        if (body.mode !== 'enforce' && body.mode !== 'report')
          return send(res, 400, { error: 'mode must be "enforce" or "report"' });
        return send(res, 200, api.setMode(body.mode));
      }
      return send(res, 405, { error: 'method not allowed' });
    } catch (e) {
      return send(res, 500, { error: (e as Error).message });
    }
  };
}

export function startHttp(api: AgentApi, opts: HttpOptions): Promise<Server> {
  const server = createServer(handler(api, opts));
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
