/** A bounded ring of recent agent events (enforcements, drift, findings) for GET /api/events. */
export interface AgentEvent {
  /** Sequence number, increasing: clients poll with ?since=N. */
  seq: number;
  time: string;
  action: string;
  interface?: string;
  ifindex?: number;
  [k: string]: unknown;
}

export class EventRing {
  private buf: AgentEvent[] = [];
  private head = 0;
  private seq = 0;
  private listeners: ((e: AgentEvent) => void)[] = [];
  constructor(readonly capacity = 1000) {}

  /** Called with every event as it is pushed (the page's live stream); must be O(1). */
  subscribe(fn: (e: AgentEvent) => void): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  /** Takes `e` over (callers pass a fresh object): numbered and timed in place, not copied. */
  push(e: Omit<AgentEvent, 'seq' | 'time'> & { time?: string }): AgentEvent {
    const ev = e as AgentEvent;
    ev.seq = ++this.seq;
    ev.time ??= new Date().toISOString();
    if (this.buf.length < this.capacity) this.buf.push(ev);
    else {
      this.buf[this.head] = ev;
      this.head = (this.head + 1) % this.capacity;
    }
    for (const l of this.listeners) l(ev);
    return ev;
  }

  /** Oldest first; only events after `since`, at most `limit` (the newest ones). */
  list(since = 0, limit = this.capacity): AgentEvent[] {
    const ordered = this.buf.length < this.capacity ? this.buf : [...this.buf.slice(this.head), ...this.buf.slice(0, this.head)];
    const out = ordered.filter((e) => e.seq > since);
    return out.slice(Math.max(0, out.length - limit));
  }

  get size(): number {
    return this.buf.length;
  }
}
