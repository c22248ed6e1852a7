/**
 * The agent's page with many interfaces: first meaningful render in real Chromium (the page's
 * `olc-first-render` Performance API mark: the matrix is in the DOM and the browser is about to
 * paint it), and where the time goes (state requested/received marks), per lab size, side by side.
 *
 *   node --import tsx bench/ui-render.ts [--interfaces 500,2000] [--repeats 5] [--screenshot FILE]
 *
 * Needs root, Debian's chromium and a built CLI (npm run build). Everything runs in a namespace this
 * script creates (the agent and Chromium both inside it) and removes.
 */
import { cpus, loadavg } from 'node:os';
import { createNetns, deleteNetns, uniquePrefix } from '../src/lab/netns.js';
import { startAgent } from '../test/netns/agent-harness.js';
import { launchInNetns } from '../test/netns/ui/browser.js';
import { agentSettled, buildScaleLab } from '../test/netns/ui/scale-lab.js';

const argOf = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const SIZES = argOf('interfaces', '500,2000').split(',').map(Number);
const REPEATS = Number(argOf('repeats', '5'));
const SHOT = argOf('screenshot', '');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Row {
  n: number;
  first: number[];
  fetch: number[];
  render: number[];
  bytes: number;
}

async function measure(n: number): Promise<Row> {
  const ns = await createNetns(`${uniquePrefix('uir')}a`);
  const agent = await startAgent(ns, [], { port: 9469 });
  const browser = await (async () => {
    await buildScaleLab(ns, n);
    await agentSettled(ns, agent.port, n, 120_000);
    return launchInNetns(ns);
  })().catch(async (e) => {
    await agent.stop();
    await deleteNetns(ns);
    throw e;
  });
  const row: Row = { n, first: [], fetch: [], render: [], bytes: 0 };
  try {
    for (let r = 0; r < REPEATS + 1; r++) {
      const page = await browser.context.newPage();
      await page.goto(`http://127.0.0.1:${agent.port}/`);
      await page.waitForFunction(() => document.body.dataset.firstRender !== undefined, null, { timeout: 60_000 });
      // no named functions inside: tsx's keepNames would reference a __name helper the page lacks
      const m = await page.evaluate(() => ({
        first: performance.getEntriesByName('olc-first-render')[0]!.startTime,
        req: performance.getEntriesByName('olc-state-requested')[0]!.startTime,
        got: performance.getEntriesByName('olc-state-received')[0]!.startTime,
        bytes:
          (
            performance.getEntriesByType('resource').find((e) => e.name.endsWith('/api/ui/state')) as
              | PerformanceResourceTiming
              | undefined
          )?.encodedBodySize ?? 0,
      }));
      if (r === REPEATS && SHOT) await page.screenshot({ path: SHOT });
      await page.close();
      if (r === 0) continue; // warm-up: the agent's first build of the tables, Chromium's first start
      row.first.push(m.first);
      row.fetch.push(m.got - m.req);
      row.render.push(m.first - m.got);
      row.bytes = m.bytes;
    }
  } finally {
    await browser.close();
    await agent.stop();
    await deleteNetns(ns);
  }
  return row;
}

const rows: Row[] = [];
for (const n of SIZES) rows.push(await measure(n));
const f = (x: number) => x.toFixed(0).padStart(7);
console.log(
  `agent page, first meaningful render in Chromium (Performance API), median of ${REPEATS} loads (+1 warm-up); ${new Date().toISOString()}, ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}`,
);
console.log('interfaces   first ms   (min–max)    state fetch ms   render ms   state KiB   first vs smallest');
for (const r of rows) {
  console.log(
    `${String(r.n).padStart(10)} ${f(median(r.first))}   (${Math.round(Math.min(...r.first))}–${Math.round(Math.max(...r.first))})   ${f(median(r.fetch))}        ${f(median(r.render))}   ${f(r.bytes / 1024)}     ×${(median(r.first) / median(rows[0]!.first)).toFixed(2)}`,
  );
}
