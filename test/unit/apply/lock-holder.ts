/**
 * Test helper (not a test file): takes the state directory's lock as apply does (retrying while it
 * is busy), says "acquired PID" on stdout, and holds it until killed. Used by lock.test.ts.
 */
import { SnapshotStore } from '../../../src/apply/store.js';

const store = new SnapshotStore(process.argv[2]!);
for (;;) {
  try {
    await store.lock({ timeoutSeconds: 120 });
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 5));
  }
}
process.stdout.write(`acquired ${process.pid}\n`);
setInterval(() => {}, 1 << 30);
