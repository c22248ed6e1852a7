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

export interface EventPage {
  events: AgentEvent[];
  /** Pass as `since` next time. */
  next: number;
  /** More events after `next` are waiting. */
  more: boolean;
  /** Events after `since` already dropped from the ring. */
  missed: number;
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

  /**
   * Oldest first: the OLDEST `limit` events after `since`, so a client paging with
   * `?since=<next>` sees every event once, in order (taking the newest would skip the ones between).
   */
  list(since = 0, limit = this.capacity): AgentEvent[] {
    return this.page(since, limit).events;
  }

  /**
   * One page for GET /api/events: `next` is the cursor for the following call (the last seq
   * returned, or `since` when nothing is new), `more` says whether events after `next` are already
   * held, `missed` counts events after `since` that the ring no longer holds (the client polled too
   * late: the ring keeps `capacity`).
   */
  page(since = 0, limit = this.capacity): EventPage {
    const ordered =
      this.buf.length < this.capacity ? this.buf : [...this.buf.slice(this.head), ...this.buf.slice(0, this.head)];
    const first = ordered.findIndex((e) => e.seq > since);
    const after = first < 0 ? [] : ordered.slice(first);
    const events = after.slice(0, Math.max(0, limit));
    const oldestHeld = ordered[0]?.seq ?? this.seq + 1;
    return {
      events,
      next: events.length ? events[events.length - 1]!.seq : Math.max(0, Math.min(since, this.seq)),
      more: after.length > events.length,
      missed: Math.max(0, oldestHeld - Math.max(0, since) - 1),
    };
  }

  get size(): number {
    return this.buf.length;
  }
}
