import { existsSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { OVSDB_COLUMNS, type OvsdbRow, type OvsdbTables } from './ovsdb-wire.js';

/**
 * The boundary to Open vSwitch's database server: OVSDB JSON-RPC (RFC 7047) over its unix socket.
 * One `transact` with three selects reads Bridge, Port and Interface in one consistent snapshot; no
 * process is spawned (cheap enough to re-read whenever a link appears), and a host without OVS costs
 * one failed connect() (ENOENT).
 */

/** The socket ovs-vsctl uses too: $OVS_RUNDIR/db.sock, default /var/run/openvswitch/db.sock. */
export function defaultOvsdbSocket(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.OVS_RUNDIR || '/var/run/openvswitch', 'db.sock');
}

export class OvsdbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OvsdbError';
  }
}

/** errno codes of connect() that mean "no OVS here" rather than a fault. */
const ABSENT = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTDIR']);

/**
 * Read the three tables. Resolves null when no ovsdb-server listens at `socketPath` (no OVS on this
 * host); rejects with OvsdbError when one answers wrongly or not within `timeoutMs`.
 */
export function readOvsdbTables(socketPath = defaultOvsdbSocket(), timeoutMs = 5000): Promise<OvsdbTables | null> {
  const tables = ['Bridge', 'Port', 'Interface'] as const;
  const request = {
    method: 'transact',
    params: [
      'Open_vSwitch',
      ...tables.map((table) => ({ op: 'select', table, where: [], columns: [...OVSDB_COLUMNS[table]] })),
    ],
    id: 1,
  };
  // No socket file, no OVS: what connect() would say (ENOENT, ENOTDIR), learnt with one stat
  // instead of a net.Socket, its handle and an error event (~1-3 ms of every command's start).
  if (!existsSync(socketPath)) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    let settled = false;
    const sock: Socket = createConnection({ path: socketPath });
    const finish = (err: Error | null, value: OvsdbTables | null = null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(
      () => finish(new OvsdbError(`ovsdb-server at ${socketPath} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const reader = jsonStream((msg) => {
      const m = msg as { id?: unknown; result?: unknown; error?: unknown; method?: string; params?: unknown };
      // The server may probe an idle client with "echo" (RFC 7047 §4.1.11): answer it.
      if (m.method === 'echo') {
        sock.write(JSON.stringify({ id: m.id, result: m.params, error: null }));
        return;
      }
      if (m.id !== 1) return;
      if (m.error) return finish(new OvsdbError(`ovsdb-server: ${JSON.stringify(m.error)}`));
      const results = m.result as { rows?: OvsdbRow[]; error?: string; details?: string }[];
      if (!Array.isArray(results) || results.length < tables.length)
        return finish(new OvsdbError('ovsdb-server: malformed transact reply'));
      const out: OvsdbTables = { Bridge: [], Port: [], Interface: [] };
      for (const [i, t] of tables.entries()) {
        const r = results[i]!;
        if (r.error)
          return finish(new OvsdbError(`ovsdb-server: ${t}: ${r.error}${r.details ? `: ${r.details}` : ''}`));
        out[t] = r.rows ?? [];
      }
      finish(null, out);
    });
    sock.on('connect', () => sock.write(JSON.stringify(request)));
    sock.on('data', (b: Buffer) => {
      try {
        reader(b.toString('utf8'));
      } catch (e) {
        finish(new OvsdbError(`ovsdb-server: unreadable reply: ${(e as Error).message}`));
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code && ABSENT.has(e.code)) finish(null, null);
      else finish(new OvsdbError(`ovsdb-server at ${socketPath}: ${e.message}`));
    });
    sock.on('close', () => finish(new OvsdbError(`ovsdb-server at ${socketPath} closed the connection`)));
  });
}

/**
 * JSON-RPC over a stream socket has no framing: messages are concatenated JSON objects. Split them
 * by tracking brace depth outside strings.
 */
export function jsonStream(onMessage: (msg: unknown) => void): (chunk: string) => void {
  let buf = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = 0;
  let scanned = 0;
  return (chunk) => {
    buf += chunk;
    for (let i = scanned; i < buf.length; i++) {
      const c = buf[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{' || c === '[') {
        if (depth === 0) start = i;
        depth++;
      } else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) onMessage(JSON.parse(buf.slice(start, i + 1)));
      }
    }
    if (depth === 0) {
      buf = '';
      scanned = 0;
    } else {
      buf = buf.slice(start);
      scanned = buf.length;
      start = 0;
    }
  };
}

export interface OvsdbWatch {
  close(): void;
}

/**
 * Watch the database for changes to bridges, ports and interfaces: an OVSDB `monitor` (RFC 7047
 * §4.1.5) on one long-lived connection. `onChange` runs after the initial reply and after every
 * `update` notification (the caller re-reads what it needs). A missing server is retried every
 * `retryMs` (OVS may start after us); a lost connection likewise, with onChange on reconnect.
 */
export function watchOvsdb(
  socketPath: string,
  onChange: () => void,
  opts: { retryMs?: number; onError?: (e: Error) => void } = {},
): OvsdbWatch {
  const retryMs = opts.retryMs ?? 10_000;
  let closed = false;
  let sock: Socket | null = null;
  let timer: NodeJS.Timeout | null = null;
  const retry = () => {
    if (closed) return;
    timer = setTimeout(connect, retryMs);
    timer.unref();
  };
  const connect = () => {
    if (closed) return;
    const s = createConnection({ path: socketPath });
    sock = s;
    const request = {
      method: 'monitor',
      params: [
        'Open_vSwitch',
        'offloadctl',
        {
          Bridge: { columns: [...OVSDB_COLUMNS.Bridge.filter((c) => c !== '_uuid')] },
          Port: { columns: [...OVSDB_COLUMNS.Port.filter((c) => c !== '_uuid')] },
          Interface: { columns: [...OVSDB_COLUMNS.Interface.filter((c) => c !== '_uuid')] },
        },
      ],
      id: 'monitor',
    };
    const reader = jsonStream((msg) => {
      const m = msg as { id?: unknown; method?: string; params?: unknown; error?: unknown };
      if (m.method === 'echo') {
        s.write(JSON.stringify({ id: m.id, result: m.params, error: null }));
      } else if (m.method === 'update' || (m.id === 'monitor' && !m.error)) {
        onChange();
      } else if (m.id === 'monitor' && m.error) {
        opts.onError?.(new OvsdbError(`ovsdb monitor: ${JSON.stringify(m.error)}`));
        s.destroy();
      }
    });
    s.on('connect', () => s.write(JSON.stringify(request)));
    s.on('data', (b: Buffer) => {
      try {
        reader(b.toString('utf8'));
      } catch (e) {
        opts.onError?.(new OvsdbError(`ovsdb monitor: unreadable message: ${(e as Error).message}`));
        s.destroy();
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (!(e.code && ABSENT.has(e.code)))
        opts.onError?.(new OvsdbError(`ovsdb-server at ${socketPath}: ${e.message}`));
    });
    s.on('close', () => {
      if (sock === s) sock = null;
      retry();
    });
    s.unref();
  };
  connect();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      sock?.destroy();
    },
  };
}
