/**
 * The agent's page in real Chromium (Debian's, driven by playwright-core), run inside the agent's
 * own namespace: the feature matrix equals the oracle (`ethtool --json -k`) cell for cell; drift
 * made with `ethtool -K` shows within 1 s and its correction after; apply from the page with the
 * token changes the kernel and undo restores it exactly; without the token the server answers 401;
 * a new tap appears in the topology. OFFLOADCTL_UPDATE_SCREENSHOTS=1 also saves docs/ui/small.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { ipBatch, nsRunOk } from '../../src/lab/netns.js';
import {
  TOKEN,
  agentNetns,
  agentSkip,
  http,
  oracle,
  waitFor,
  type OracleDevice,
  type RunningAgent,
} from './agent-harness.js';
import { MATRIX_KEYS, browserSkip, launchInNetns, writeBenchDir, type NsBrowser } from './ui/browser.js';

const skip = agentSkip || browserSkip;
let ns = '';
let agent: RunningAgent | null = null;
let browser: NsBrowser | null = null;
let page: Page | null = null;
const pageErrors: string[] = [];
const benchDir = mkdtempSync(join(tmpdir(), 'olc-ui-bench-'));

// registered first, so it runs after the agent's namespace is gone (hooks run in order: browser first)
after(() => rmSync(benchDir, { recursive: true, force: true }));
after(async () => {
  await browser?.close();
});
const lab = agentNetns();

before(async () => {
  if (skip) return;
  writeBenchDir(benchDir);
  ({ ns, agent } = await lab.open('ui', ['--bench-dir', benchDir]));
  await ipBatch(ns, [
    'link add br0 type bridge',
    'link set br0 up',
    'tuntap add dev vnet0 mode tap',
    'tuntap add dev tap100i0 mode tap',
    'link add ve0 type veth peer name vp0',
    'link add ve1 type veth peer name vp1',
    'link set vnet0 master br0',
    'link set tap100i0 master br0',
    'link set vp0 master br0',
    'link set vp1 master br0',
  ]);
  await waitFor(
    async () => {
      const s = JSON.parse((await http(ns, agent!.port, 'GET', '/api/state')).text) as {
        counts: Record<string, number>;
      };
      return (s.counts.pending ?? 0) === 0 && Object.values(s.counts).reduce((a, b) => a + b, 0) >= 8;
    },
    15_000,
    'the agent has reconciled the lab',
  );
  browser = await launchInNetns(ns);
  page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    // refused actions (401, 409) are answers the tests ask for; anything else is a fault
    if (m.type() === 'error' && !/status of (401|409)/.test(m.text())) pageErrors.push(m.text());
  });
});

type PageMatrix = [string, Record<string, string>][];

async function pageMatrix(p: Page): Promise<PageMatrix> {
  return p.$$eval('#matrix tbody tr', (trs) =>
    trs.map((tr) => [
      (tr as HTMLElement).dataset.ifname!,
      Object.fromEntries(
        [...tr.querySelectorAll<HTMLElement>('td[data-col]')].map((td) => [td.dataset.col!, td.dataset.active!]),
      ),
    ]),
  ) as Promise<PageMatrix>;
}

/** Cells where the page differs from the oracle (aggregate "active" as ethtool prints it). */
function differences(m: PageMatrix, o: Map<string, OracleDevice>): string[] {
  const out: string[] = [];
  for (const [name, cells] of m) {
    const d = o.get(name);
    if (!d) {
      out.push(`${name}: not in the oracle`);
      continue;
    }
    for (const k of MATRIX_KEYS) {
      const st = d[k] as { active: boolean } | undefined;
      const want = st ? (st.active ? 'on' : 'off') : '-';
      if (cells[k] !== want) out.push(`${name} ${k}: page ${cells[k]}, ethtool ${want}`);
    }
  }
  return out;
}

/** Wait until the page and two oracle reads around it agree (the kernel may still be settling). */
async function matrixMatchesOracle(p: Page, timeoutMs = 10_000): Promise<PageMatrix> {
  let last: string[] = [];
  let m: PageMatrix = [];
  await waitFor(
    async () => {
      const o1 = await oracle(ns);
      m = await pageMatrix(p);
      const o2 = await oracle(ns);
      last = differences(m, o1);
      return last.length === 0 && JSON.stringify([...o1]) === JSON.stringify([...o2]);
    },
    timeoutMs,
    'the matrix to equal ethtool --json -k',
  ).catch((e) => {
    throw new Error(`${(e as Error).message}: ${last.slice(0, 10).join('; ')}`);
  });
  return m;
}

const cell = (ifname: string, key: string) => `#matrix tr[data-ifname="${ifname}"] td[data-col="${key}"]`;

test('the page: CSP, first render, and every matrix cell equals ethtool --json -k', { skip }, async (t) => {
  const res = await page!.goto(`http://127.0.0.1:${agent!.port}/`);
  assert.equal(res!.status(), 200);
  const csp = res!.headers()['content-security-policy'] ?? '';
  assert.match(csp, /default-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  await page!.waitForFunction(() => document.body.dataset.firstRender !== undefined, null, { timeout: 15_000 });
  const firstRender = await page!.evaluate(() => performance.getEntriesByName('olc-first-render')[0]!.startTime);
  t.diagnostic(`first meaningful render ${Math.round(firstRender)} ms (small lab)`);
  const m = await matrixMatchesOracle(page!);
  const names = m.map(([n]) => n);
  for (const n of ['lo', 'br0', 'vnet0', 'tap100i0', 've0', 'vp0', 've1', 'vp1'])
    assert.ok(names.includes(n), `row for ${n}`);
  assert.equal(m.length, (await oracle(ns)).size, 'one row per device');
  // compliance colouring: tso-gso-off wants GSO off on a veth and has it
  assert.match((await page!.getAttribute(cell('ve0', 'generic-segmentation-offload'), 'class'))!, /c-ok/);
  assert.match(
    (await page!.getAttribute(cell('ve0', 'generic-segmentation-offload'), 'title'))!,
    /wanted off by tso-gso-off/,
  );
  // a fresh tap: tx-checksumming requested on, active off (no owner negotiated it): marked as the guest's
  assert.match((await page!.textContent(cell('vnet0', 'tx-checksumming')))!, /guest \(req on\)/);
});

test('keyboard: a name opens every kernel feature of the interface', { skip }, async () => {
  await page!.focus('#matrix tr[data-ifname="ve0"] .name-btn');
  await page!.keyboard.press('Enter');
  await page!.waitForSelector('#detail:not([hidden])');
  const feats = await page!.$$eval('#detail tbody tr td:first-child', (tds) => tds.map((t) => t.textContent));
  assert.ok(
    feats.includes('tx-tcp-segmentation') && feats.includes('rx-gro') && feats.length > 30,
    `features: ${feats.length}`,
  );
  await page!.keyboard.press('Enter'); // focus is on Close
  await page!.waitForSelector('#detail[hidden]', { state: 'attached' });
});

test('drift made with ethtool -K: on the page within 1 s, then its correction', { skip }, async (t) => {
  // enforce mode: the drift event, then the agent's correction
  await nsRunOk(ns, ['ethtool', '-K', 've0', 'gso', 'on']);
  const t0 = Date.now();
  await page!.waitForSelector('#events li[data-action="drift"][data-ifname="ve0"]', {
    state: 'attached',
    timeout: 1000,
  });
  t.diagnostic(`drift event on the page ${Date.now() - t0} ms after ethtool -K returned`);
  await page!.waitForFunction(
    () => {
      const lis = [...document.querySelectorAll<HTMLElement>('#events li[data-ifname="ve0"]')];
      const drift = lis.findIndex((l) => l.dataset.action === 'drift');
      const fix = lis.findIndex((l) => l.dataset.action === 'enforce');
      return drift >= 0 && fix >= 0 && fix < drift; // newest first: the correction came after the drift
    },
    null,
    { timeout: 5000 },
  );
  await matrixMatchesOracle(page!);

  // report mode: the matrix itself shows the deviation, and enforce corrects it
  assert.equal(
    (await http(ns, agent!.port, 'POST', '/api/mode', { token: TOKEN, body: '{"mode":"report"}' })).status,
    200,
  );
  await nsRunOk(ns, ['ethtool', '-K', 've1', 'gso', 'on']);
  const t1 = Date.now();
  await page!.waitForSelector(`${cell('ve1', 'generic-segmentation-offload')}.c-bad[data-active="on"]`, {
    timeout: 1000,
  });
  t.diagnostic(`deviating cell on the page ${Date.now() - t1} ms after ethtool -K returned`);
  await matrixMatchesOracle(page!);
  assert.equal(
    (await http(ns, agent!.port, 'POST', '/api/mode', { token: TOKEN, body: '{"mode":"enforce"}' })).status,
    200,
  );
  await page!.waitForSelector(`${cell('ve1', 'generic-segmentation-offload')}.c-ok[data-active="off"]`, {
    timeout: 5000,
  });
  await matrixMatchesOracle(page!);
});

test("without the token: the page's actions get 401 and nothing changes", { skip }, async () => {
  const p = await browser!.context.newPage(); // a new tab: no token in its sessionStorage
  try {
    await p.goto(`http://127.0.0.1:${agent!.port}/`);
    await p.waitForFunction(() => document.body.dataset.firstRender !== undefined);
    const before = await oracle(ns);
    await p.selectOption('#profile', 'offloads-on');
    await p.click('#apply');
    await p.waitForSelector('#action-result .error');
    assert.match((await p.textContent('#action-result'))!, /401/);
    const statuses = await p.evaluate(async () => {
      const out: number[] = [];
      for (const [path, body] of [
        ['/api/apply', { profile: 'offloads-on' }],
        ['/api/plan', { profile: 'offloads-on' }],
        ['/api/restore', { snapshot: 'x' }],
        ['/api/mode', { mode: 'report' }],
      ] as const) {
        out.push(
          (
            await fetch(path, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: 'Bearer wrong-token-0123456789' },
              body: JSON.stringify(body),
            })
          ).status,
        );
        out.push(
          (
            await fetch(path, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(body),
            })
          ).status,
        );
      }
      return out;
    });
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 401, 401]);
    assert.deepEqual([...(await oracle(ns))], [...before], 'the kernel is unchanged');
  } finally {
    await p.close();
  }
});

test('apply from the page with the token changes the kernel; undo restores it exactly', { skip }, async () => {
  const p = page!;
  await p.fill('#token', TOKEN);
  await p.press('#token', 'Enter');
  await p.waitForFunction(() => document.getElementById('token-state')!.textContent!.includes('token set'));
  // the agent enforces tso-gso-off: it refuses another policy until it only reports
  await p.selectOption('#profile', 'offloads-on');
  await p.click('#apply');
  await p.waitForSelector('#action-result .error');
  assert.match((await p.textContent('#action-result'))!, /409.*report mode/s);
  await p.click('#mode-report');
  await p.waitForFunction(() => document.getElementById('mode')!.textContent === 'report');
  await p.click('#preview');
  await p.waitForSelector('#plan-changes');
  assert.match((await p.textContent('#plan-changes'))!, /ve0: .*tx-generic-segmentation on/);

  const before = await oracle(ns);
  assert.equal((before.get('ve0')!['generic-segmentation-offload'] as { active: boolean }).active, false);
  await p.click('#apply');
  await p.waitForSelector('#apply-status', { timeout: 15_000 });
  assert.equal(await p.getAttribute('#apply-status', 'data-status'), 'applied');
  const snapshot = (await p.textContent('#apply-snapshot'))!;
  assert.match(snapshot, /\S/);
  const applied = await oracle(ns);
  assert.equal(
    (applied.get('ve0')!['generic-segmentation-offload'] as { active: boolean }).active,
    true,
    'gso on per ethtool',
  );
  assert.equal(
    (applied.get('ve1')!['tcp-segmentation-offload'] as { active: boolean }).active,
    true,
    'tso on per ethtool',
  );
  await matrixMatchesOracle(p);

  await p.click(`#action-result button.undo[data-snapshot="${snapshot}"]`);
  await p.waitForSelector('#restore-status', { timeout: 15_000 });
  assert.equal(await p.getAttribute('#restore-status', 'data-ok'), 'yes');
  assert.deepEqual([...(await oracle(ns))], [...before], 'every device as before the apply (ethtool --json -k)');
  await matrixMatchesOracle(p);
  await p.click('#mode-enforce');
  await p.waitForFunction(() => document.getElementById('mode')!.textContent === 'enforce');
});

test('a new tap appears in the topology (and the matrix) without a reload', { skip }, async () => {
  await ipBatch(ns, ['tuntap add dev vnet9 mode tap', 'link set vnet9 master br0']);
  await page!.waitForSelector('#topology details[data-master="br0"] [data-ifname="vnet9"]', {
    state: 'attached',
    timeout: 5000,
  });
  await page!.waitForSelector('#matrix tr[data-ifname="vnet9"]', { state: 'attached', timeout: 5000 });
  await matrixMatchesOracle(page!);
  // search by role narrows the matrix
  await page!.fill('#search', 'vm-port');
  await page!.waitForFunction(() =>
    document.querySelector('#matrix tr[data-ifname="ve0"]')!.classList.contains('hidden'),
  );
  assert.equal(await page!.isVisible('#matrix tr[data-ifname="vnet9"]'), true);
  await page!.fill('#search', '');
  await page!.waitForFunction(
    () => !document.querySelector('#matrix tr[data-ifname="ve0"]')!.classList.contains('hidden'),
  );
});

test("measurements: bench charts from --bench-dir and the doctor's findings", { skip }, async () => {
  const p = page!;
  await p.waitForSelector('#bench img');
  const imgs = await p.$$eval('#bench img', (els) =>
    els.map((e) => [(e as HTMLImageElement).src, (e as HTMLImageElement).naturalWidth] as const),
  );
  assert.ok(imgs.length >= 2, `charts: ${JSON.stringify(imgs)}`);
  await p.waitForFunction(() =>
    [...document.querySelectorAll<HTMLImageElement>('#bench img')].every((i) => i.complete && i.naturalWidth > 0),
  );
  await p.click('#doctor-run');
  await p.waitForFunction(() => /finding/.test(document.getElementById('doctor')!.textContent ?? ''), null, {
    timeout: 15_000,
  });
  if (process.env.OFFLOADCTL_UPDATE_SCREENSHOTS === '1') {
    // the search bar sticks to the top of the viewport: in a full-page picture it would float mid-page
    await p.evaluate(() => (document.querySelector('.search') as HTMLElement).style.setProperty('position', 'static'));
    await p.screenshot({
      path: fileURLToPath(new URL('../../docs/ui/small-lab.png', import.meta.url)),
      fullPage: true,
    });
    await p.evaluate(() => (document.querySelector('.search') as HTMLElement).style.removeProperty('position'));
  }
  assert.deepEqual(pageErrors, [], 'no script errors or CSP violations in the page');
});
