import type { KernelMonitor, MonitorEvent } from './types.js';

/** A monitor for unit tests: the test pushes events with emit(). */
export class FakeMonitor implements KernelMonitor {
  private handler: (e: MonitorEvent) => void = () => {};
  private errorHandler: (e: Error) => void = () => {};
  closed = false;
  onEvent(handler: (e: MonitorEvent) => void): void {
    this.handler = handler;
  }
  onError(handler: (e: Error) => void): void {
    this.errorHandler = handler;
  }
  emit(e: MonitorEvent): void {
    if (!this.closed) this.handler(e);
  }
  fail(e: Error): void {
    this.errorHandler(e);
  }
  close(): void {
    this.closed = true;
  }
}
