import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Server-Sent Events to the page, built so that it can never slow the agent down:
 * - `publish` only appends to an array and schedules one flush (setImmediate): callers on the
 *   enforcement path pay a push, never serialisation or a socket write;
 * - the flush serialises each message once and writes it to every client;
 * - a client whose socket does not keep up (more than `maxQueuedBytes` unsent, i.e. the kernel's
 *   socket buffer is full and Node is queueing) is dropped: the page reconnects and reloads the state;
 * - at most `maxClients` at once: the next one gets 503.
 */
export interface SseOptions {
  maxClients?: number;
  maxQueuedBytes?: number;
  /** A comment line this often keeps proxies and the browser from timing out. */
  heartbeatMs?: number;
}

interface Client {
  res: ServerResponse;
  id: number;
}

export class SseHub {
  private readonly clients = new Map<number, Client>();
  private pending: { event: string; data: unknown }[] = [];
  private scheduled = false;
  private nextId = 1;
  private heartbeat: NodeJS.Timeout | null = null;
  readonly maxClients: number;
  readonly maxQueuedBytes: number;
  dropped = 0;

  constructor(private readonly opts: SseOptions = {}) {
    this.maxClients = opts.maxClients ?? 16;
    this.maxQueuedBytes = opts.maxQueuedBytes ?? 1 << 20;
  }

  get size(): number {
    return this.clients.size;
  }

  /** Take over a GET request as an event stream; false (and 503 sent) when full. */
  add(req: IncomingMessage, res: ServerResponse, first?: { event: string; data: unknown }): boolean {
    if (this.clients.size >= this.maxClients) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ error: `too many event streams (at most ${this.maxClients})` }) + '\n');
      return false;
    }
    const id = this.nextId++;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    req.socket.setNoDelay(true);
    // no request timeout on a stream (http.Server.requestTimeout applies to receiving the request only)
    req.socket.setTimeout(0);
    res.write('retry: 1000\n\n');
    if (first) res.write(frame(first.event, JSON.stringify(first.data)));
    this.clients.set(id, { res, id });
    const drop = () => this.clients.delete(id);
    res.on('close', drop);
    res.on('error', drop);
    if (!this.heartbeat && (this.opts.heartbeatMs ?? 15_000) > 0) {
      this.heartbeat = setInterval(() => this.writeAll(': keep-alive\n\n'), this.opts.heartbeatMs ?? 15_000);
      this.heartbeat.unref();
    }
    return true;
  }

  /** Queue a message for every client; O(1) for the caller. */
  publish(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    this.pending.push({ event, data });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (this.clients.size === 0) return;
    let text = '';
    for (const m of batch) text += frame(m.event, JSON.stringify(m.data));
    this.writeAll(text);
  }

  private writeAll(text: string): void {
    for (const c of this.clients.values()) {
      // writableLength: bytes Node holds because the socket would not take them (slow reader)
      if (c.res.writableLength > this.maxQueuedBytes) {
        this.dropped++;
        this.clients.delete(c.id);
        c.res.destroy();
        continue;
      }
      c.res.write(text);
    }
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const c of this.clients.values()) c.res.end();
    this.clients.clear();
  }
}

function frame(event: string, json: string): string {
  return `event: ${event}\ndata: ${json}\n\n`;
}
