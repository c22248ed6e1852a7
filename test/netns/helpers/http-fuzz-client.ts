/**
 * Runs inside the agent's namespace (`ip netns exec NS node --import tsx THIS PORT RUNS SEED`):
 * the generated raw requests of http-fuzz-gen.ts against the agent's loopback listener, then
 * 1,000 idle connections (a third of them with a partial request line) and one GET /healthz.
 * Prints one JSON object: the fuzz result and the /healthz answer under load.
 */
import { connect, type Socket } from 'node:net';
import { runFuzz } from '../../unit/agent/http-fuzz-gen.js';

const [port, runs, seed] = process.argv.slice(2).map(Number) as [number, number, number];
const fuzz = await runFuzz(port, runs, seed, 8);
const idle: Socket[] = [];
for (let i = 0; i < 1000; i++) {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => {});
  if (i % 3 === 0) s.write('GET /metr');
  idle.push(s);
}
await Promise.all(
  idle.map(
    (s) => new Promise<void>((r) => (s.connecting ? s.once('connect', () => r()).once('error', () => r()) : r())),
  ),
);
let healthz: { status: number; text: string } | { error: string };
try {
  const r = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(20_000) });
  healthz = { status: r.status, text: await r.text() };
} catch (e) {
  healthz = { error: String(e) };
}
const stillOpen = idle.filter((s) => !s.destroyed && s.readyState === 'open').length;
for (const s of idle) s.destroy();
process.stdout.write(JSON.stringify({ fuzz, healthz, idleStillOpen: stillOpen }) + '\n');
