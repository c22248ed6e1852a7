import type { Writable } from 'node:stream';

/**
 * Write Buffers in order, without joining them first: a pipe or TTY stdout (a net.Socket, which
 * has `_writev`) gets them corked and handed to libuv as one writev, so shared Buffers (status
 * --json repeats one features text per device kind thousands of times) are never copied in this
 * process. A file stdout (SyncWriteStream: one write(2) per call) gets them joined in ~1 MiB groups.
 */
export function writeChunks(out: Writable, chunks: readonly Buffer[]): void {
  if (typeof (out as { _writev?: unknown })._writev === 'function') {
    out.cork();
    for (const c of chunks) out.write(c);
    out.uncork();
    return;
  }
  let group: Buffer[] = [];
  let size = 0;
  for (const c of chunks) {
    group.push(c);
    size += c.length;
    if (size >= 1 << 20) {
      out.write(group.length === 1 ? group[0]! : Buffer.concat(group, size));
      group = [];
      size = 0;
    }
  }
  if (group.length) out.write(group.length === 1 ? group[0]! : Buffer.concat(group, size));
}
