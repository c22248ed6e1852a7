import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Observation } from '../../model/types.js';
import { buildObservation } from '../../host/observe.js';
import { OffloadError } from '../../model/errors.js';
import { checkBearer } from '../../agent/token.js';
import {
  applyPolicy,
  ConflictError,
  listSnapshots,
  policyFromBody,
  previewPlan,
  restoreById,
  type ActionDeps,
} from './actions.js';
import { doctorOnAgent, readBench, readChart } from './measurements.js';
import { SseHub, type SseOptions } from './sse.js';
import { defaultAssetsDir, securityHeaders, StaticAssets } from './static.js';
import { UiLive, type AgentEvents, type UiLiveOptions } from './ui-live.js';
import type { AgentView } from './ui-data.js';

/**
 * The agent's page and its API, beside http.ts's routes (it asks here first):
 *   GET  /                      the page (dist/ui: index.html, /ui/app.js, /ui/app.css)
 *   GET  /api/ui/state          every interface as matrix rows, policy wants, recent events
 *   GET  /api/stream            Server-Sent Events: `agent` (each agent event), `rows` (changed rows)
 *   GET  /api/bench             the latest bench results in --bench-dir; /api/bench/chart/NAME.svg its charts
 *   GET  /api/doctor[?logs=1]   the doctor's topology checks (and kernel log scan) on the agent's view
 *   GET  /api/snapshots         snapshots in the state directory (what undo can restore)
 *   POST /api/plan | /api/apply {"profile":NAME} or {"policy":YAML}; POST /api/restore {"snapshot":ID}
 * Reading needs no token (like /api/state); every POST needs the bearer token (401 otherwise).
 */
export interface UiRoutesOptions {
  view: AgentView;
  events: AgentEvents;
  token: () => string | null;
  onDenied?: (method: string, path: string, remote: string | undefined) => void;
  actions: ActionDeps;
  benchDir?: string;
  assetsDir?: string | null;
  sse?: SseOptions;
  live?: UiLiveOptions;
  /**
   * Only these Host headers are answered (421 otherwise). On a loopback listener: IP literals and
   * localhost, so a web page whose DNS name is rebound to 127.0.0.1 cannot read the host's state
   * through the operator's browser (DNS rebinding). Absent: any.
   */
  allowedHost?: (host: string) => boolean;
}

/** Host header → is it an IP literal (v4, [v6]) or localhost, with or without a port. */
export function isLiteralHost(host: string): boolean {
  const h = host.toLowerCase();
  const name = h.startsWith('[') ? h.slice(1, h.indexOf(']')) : h.replace(/:\d+$/, '');
  return name === 'localhost' || isIP(name) !== 0;
}

export interface UiRoutes {
  /** Handles the request and returns true, or returns false: not a UI route. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  close(): void;
  readonly hub: SseHub;
}

const MAX_BODY = 64 * 1024;

function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...securityHeaders(),
    ...extra,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new OffloadError('input', `body larger than ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const POSTS = new Set(['/api/plan', '/api/apply', '/api/restore']);
/** Every path this file answers. */
const UI_PATH =
  /^\/(?:$|index\.html$|favicon\.ico$|ui\/|api\/(?:ui\/|stream$|bench|doctor$|snapshots$|plan$|apply$|restore$))/;

export function uiRoutes(o: UiRoutesOptions): UiRoutes {
  const hub = new SseHub(o.sse);
  const live = new UiLive(o.view, o.events, hub, { tokenConfigured: () => o.token() !== null, ...o.live });
  const assets = new StaticAssets(o.assetsDir === undefined ? defaultAssetsDir() : o.assetsDir);
  const observe = (): Observation =>
    buildObservation({ links: [...o.view.links.values()], features: o.view.features, backend: 'netlink' });

  async function post(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (!checkBearer(req.headers.authorization, o.token())) {
      o.onDenied?.(req.method ?? 'POST', path, req.socket.remoteAddress);
      return json(
        res,
        401,
        { error: 'unauthorized: Authorization: Bearer <token from --token-file> required' },
        { 'www-authenticate': 'Bearer realm="offloadctl"' },
      );
    }
    let body: Record<string, unknown>;
    try {
      const parsed = JSON.parse((await readBody(req)) || '{}') as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch (e) {
      return json(res, 400, { error: `body must be a JSON object: ${(e as Error).message}` });
    }
    try {
      if (path === '/api/restore') {
        if (typeof body.snapshot !== 'string') return json(res, 400, { error: 'body: {"snapshot":"ID"}' });
        o.events.publish?.({ action: 'ui-restore', snapshot: body.snapshot });
        return json(res, 200, await restoreById(o.actions, body.snapshot));
      }
      const policy = policyFromBody(body);
      if (path === '/api/plan') return json(res, 200, await previewPlan(o.actions, policy));
      const report = await applyPolicy(o.actions, policy);
      o.events.publish?.({ action: 'ui-apply', policy: policy.name, snapshot: report.snapshot, status: report.status });
      return json(res, 200, report);
    } catch (e) {
      if (e instanceof ConflictError) return json(res, 409, { error: e.message });
      if (e instanceof OffloadError) {
        const status = e.category === 'not-found' ? 404 : e.category === 'usage' || e.category === 'input' ? 400 : 500;
        return json(res, status, { error: e.message });
      }
      throw e;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (o.allowedHost && UI_PATH.test(path) && !o.allowedHost(req.headers.host ?? '')) {
      json(res, 421, {
        error: `Host ${JSON.stringify(req.headers.host ?? '')} not accepted: open the page by IP address (e.g. http://127.0.0.1:PORT/) or localhost`,
      });
      return true;
    }
    if (method === 'POST' && POSTS.has(path)) {
      await post(req, res, path);
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD') return false;
    const head = method === 'HEAD';
    switch (path) {
      case '/':
      case '/index.html':
        if (assets.serve(res, 'index.html', head)) return true;
        json(res, 404, { error: 'the page is not built (npm run build writes dist/ui/)' });
        return true;
      case '/favicon.ico':
        // no icon: an empty answer instead of a 404 in the browser's console
        res.writeHead(204, { 'cache-control': 'max-age=86400', ...securityHeaders() });
        res.end();
        return true;
      case '/ui/app.js':
        return assets.serve(res, 'app.js', head);
      case '/ui/app.css':
        return assets.serve(res, 'app.css', head);
      case '/api/ui/state':
        json(res, 200, live.snapshot());
        return true;
      case '/api/stream':
        hub.add(req, res);
        return true;
      case '/api/bench': {
        if (!o.benchDir) json(res, 404, { error: 'no --bench-dir given to the agent' });
        else json(res, 200, readBench(o.benchDir) ?? { dir: o.benchDir, results: null, charts: [] });
        return true;
      }
      case '/api/doctor':
        json(res, 200, await doctorOnAgent(observe, { logs: url.searchParams.get('logs') === '1' }));
        return true;
      case '/api/snapshots':
        json(res, 200, { snapshots: listSnapshots(o.actions) });
        return true;
    }
    if (path.startsWith('/api/bench/chart/')) {
      const svg = o.benchDir ? readChart(o.benchDir, path.slice('/api/bench/chart/'.length)) : null;
      if (!svg) json(res, 404, { error: 'no such chart' });
      else {
        // an SVG is a document that could carry script: shown as <img> only, and sandboxed if opened
        res.writeHead(200, {
          'content-type': 'image/svg+xml',
          'cache-control': 'no-store',
          ...securityHeaders(),
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        });
        res.end(head ? undefined : svg);
      }
      return true;
    }
    return false;
  }

  return {
    handle,
    hub,
    close() {
      live.close();
      hub.close();
    },
  };
}
