/** One back-off timer per interface: marks it dirty again when its retry is due. */
export class RetryTimers {
  private readonly timers = new Map<number, NodeJS.Timeout>();

  /** Call `due` after `delayMs` unless a timer for ifindex is already set. */
  schedule(ifindex: number, delayMs: number, due: () => void): void {
    if (this.timers.has(ifindex)) return;
    const t = setTimeout(() => {
      this.timers.delete(ifindex);
      due();
    }, delayMs);
    t.unref();
    this.timers.set(ifindex, t);
  }

  cancel(ifindex: number): void {
    const t = this.timers.get(ifindex);
    if (t) clearTimeout(t);
    this.timers.delete(ifindex);
  }

  cancelAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
