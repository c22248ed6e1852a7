/// <reference lib="dom" />
/**
 * The agent's page: topology, feature matrix, live events, measurements, actions. Plain DOM, no
 * framework (docs/ui.md says why); every byte comes from the agent (CSP default-src 'self').
 */
import type { UiEvent, UiPatch, UiRow, UiSnapshot } from '../shared/types.js';
import { getJson, getToken, post, setToken } from './api.js';
import { $, esc, fmtTime } from './dom.js';
import { removeRow, renderDetail, renderMatrix, searchText, updateRow, type Model } from './matrix.js';
import { enableLazyTopology, openMasters, renderTopology } from './topology.js';

let model: Model | null = null;
let query = '';
let pending: UiPatch[] = [];
let topoTimer: number | null = null;

const byName = (a: UiRow, b: UiRow) => a.name.localeCompare(b.name, undefined, { numeric: true });
const match = (r: UiRow) => query === '' || searchText(r).includes(query);

function orderedRows(): UiRow[] {
  return [...model!.rows.values()].sort(byName);
}

function renderSummary(): void {
  const m = model!;
  const counts: Record<string, number> = {};
  for (const r of m.rows.values()) counts[r.state] = (counts[r.state] ?? 0) + 1;
  $('summary').textContent =
    `${m.rows.size} interfaces · policy ${m.policy.name} · mode ${m.mode} · ${m.backend}` +
    ' · ' +
    Object.entries(counts)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
  $('mode').textContent = m.mode;
}

function renderAll(): void {
  const rows = orderedRows();
  renderMatrix(model!, rows, match);
  renderTopology(rows, match, openMasters());
  renderSummary();
  updateSearchCount();
}

function scheduleTopology(): void {
  if (topoTimer !== null) return;
  topoTimer = window.setTimeout(() => {
    topoTimer = null;
    renderTopology(orderedRows(), match, openMasters());
    renderSummary();
  }, 200);
}

function applyPatch(p: UiPatch): void {
  const m = model!;
  if (p.version <= m.version) return;
  m.version = p.version;
  m.wants = p.wants;
  m.rules = p.rules;
  m.mode = p.mode;
  m.policy = p.policy;
  if (p.features.length !== m.features.length) m.features = p.features;
  for (const g of p.gone) {
    m.rows.delete(g);
    removeRow(g);
  }
  for (const r of p.rows) {
    m.rows.set(r.ifindex, r);
    updateRow(m, r, !match(r), true);
  }
  scheduleTopology();
}

async function loadState(): Promise<void> {
  const first = model === null;
  if (first) performance.mark('olc-state-requested');
  const s = await getJson<UiSnapshot>('/api/ui/state');
  if (first) performance.mark('olc-state-received');
  model = { ...s, rows: new Map(s.rows.map((r) => [r.ifindex, r])) };
  renderAll();
  if (first) {
    // first meaningful render: the matrix is in the DOM; measured after the browser has laid it out
    requestAnimationFrame(() => {
      performance.mark('olc-first-render');
      document.body.dataset.firstRender = String(Math.round(performance.now()));
    });
    const sel = $('profile') as HTMLSelectElement;
    sel.innerHTML =
      '<option value="">(policy text below)</option>' +
      s.profiles
        .map((p) => `<option value="${esc(p.name)}" title="${esc(p.description)}">${esc(p.name)}</option>`)
        .join('');
  }
  const evs = $('events');
  evs.innerHTML = '';
  for (const e of s.events) addEvent(e);
  for (const p of pending) applyPatch(p);
  pending = [];
}

function eventText(e: UiEvent): string {
  const parts: string[] = [];
  if (e.interface) parts.push(e.interface);
  if (e.action === 'enforce')
    parts.push(
      `set ${Object.entries((e.changes as Record<string, boolean>) ?? {})
        .map(([k, v]) => `${k} ${v ? 'on' : 'off'}`)
        .join(
          ', ',
        )} (${e.reason}${typeof e.delayMs === 'number' ? `, ${Math.round(e.delayMs * 10) / 10} ms after it appeared` : ''})`,
    );
  else if (e.action === 'drift' || e.action === 'finding')
    parts.push(
      `${e.finding}: ${((e.deviations as { feature: string; want: boolean; active: boolean }[]) ?? []).map((d) => `${d.feature} wanted ${d.want ? 'on' : 'off'}, is ${d.active ? 'on' : 'off'}`).join('; ')}`,
    );
  else if (e.error) parts.push(String(e.error));
  else {
    const rest = Object.entries(e).filter(([k]) => !['seq', 'time', 'action', 'interface', 'ifindex'].includes(k));
    if (rest.length)
      parts.push(rest.map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' '));
  }
  return parts.join(' — ');
}

function addEvent(e: UiEvent): void {
  const li = document.createElement('li');
  li.className = `ev-${e.action}`;
  li.dataset.action = e.action;
  if (e.interface) li.dataset.ifname = e.interface;
  li.textContent = `${fmtTime(e.time)} ${e.action} ${eventText(e)}`;
  const list = $('events');
  list.prepend(li);
  while (list.children.length > 300) list.lastElementChild!.remove();
}

function connect(): void {
  const es = new EventSource('/api/stream');
  const conn = $('conn');
  let opened = false;
  es.addEventListener('open', () => {
    conn.textContent = 'live';
    conn.className = 'conn live';
    // anything missed while disconnected: start again from the whole state
    if (opened) void loadState().catch((e: Error) => showError(e.message));
    opened = true;
  });
  es.addEventListener('error', () => {
    conn.textContent = 'disconnected — reconnecting…';
    conn.className = 'conn down';
  });
  es.addEventListener('agent', (ev) => addEvent(JSON.parse((ev as MessageEvent<string>).data) as UiEvent));
  es.addEventListener('rows', (ev) => {
    const p = JSON.parse((ev as MessageEvent<string>).data) as UiPatch;
    if (model) applyPatch(p);
    else pending.push(p);
  });
}

function showError(msg: string): void {
  $('action-result').innerHTML = `<p class="error">${esc(msg)}</p>`;
}

let searchTimer: number | null = null;
function updateSearchCount(): void {
  if (!model) return;
  const n = [...model.rows.values()].filter(match).length;
  $('search-count').textContent = query ? `${n} of ${model.rows.size} match` : '';
}

function onSearch(): void {
  query = ($('search') as HTMLInputElement).value.trim().toLowerCase();
  if (searchTimer !== null) clearTimeout(searchTimer);
  searchTimer = window.setTimeout(() => {
    for (const r of model?.rows.values() ?? [])
      document.getElementById(`r-${r.ifindex}`)?.classList.toggle('hidden', !match(r));
    renderTopology(orderedRows(), match, openMasters());
    updateSearchCount();
  }, 120);
}

// ---- measurements ----

interface BenchView {
  dir: string;
  results: {
    startedAt?: string;
    environment?: { path?: string; kernel?: string; cpus?: number };
    summary?: Record<string, Record<string, Record<string, { median: number; n: number }>>>;
    comparisons?: { text: string; verdict: string }[];
  } | null;
  charts: string[];
}

async function loadBench(): Promise<void> {
  const el = $('bench');
  const r = await fetch('/api/bench', { cache: 'no-store' });
  if (r.status === 404) {
    el.innerHTML = '<p class="hint">The agent was started without <code>--bench-dir</code>.</p>';
    return;
  }
  const b = (await r.json()) as BenchView;
  if (!b.results) {
    el.innerHTML = `<p class="hint">No results.json in ${esc(b.dir)} yet (offloadctl bench --out ${esc(b.dir)}).</p>`;
    return;
  }
  const res = b.results;
  const rows: string[] = [];
  for (const [profile, tests] of Object.entries(res.summary ?? {}))
    for (const [test, metrics] of Object.entries(tests))
      for (const [metric, s] of Object.entries(metrics))
        rows.push(
          `<tr><td>${esc(profile)}</td><td>${esc(test)}</td><td>${esc(metric)}</td><td>${esc(s.median)}</td><td>${esc(s.n)}</td></tr>`,
        );
  el.innerHTML =
    `<p>${esc(b.dir)} — ${esc(res.startedAt ?? '')} ${res.environment ? `· ${esc(res.environment.path ?? '')} · kernel ${esc(res.environment.kernel ?? '')} · ${esc(res.environment.cpus ?? '')} CPUs` : ''}</p>` +
    `<div class="bench-charts">${b.charts.map((c) => `<img src="/api/bench/chart/${encodeURIComponent(c)}" alt="bench chart ${esc(c)}">`).join('')}</div>` +
    (res.comparisons?.length ? `<ul>${res.comparisons.map((c) => `<li>${esc(c.text)}</li>`).join('')}</ul>` : '') +
    `<details><summary>Medians (${rows.length})</summary><table><thead><tr><th>profile</th><th>test</th><th>metric</th><th>median</th><th>n</th></tr></thead><tbody>${rows.join('')}</tbody></table></details>`;
}

interface DoctorFinding {
  severity: string;
  title?: string;
  summary?: string;
  interface?: string | null;
  ifname?: string | null;
  evidence?: unknown;
  remedy?: unknown;
  [k: string]: unknown;
}

async function runDoctor(): Promise<void> {
  const el = $('doctor');
  el.textContent = 'running…';
  const logs = ($('doctor-logs') as HTMLInputElement).checked;
  try {
    const rep = await getJson<{
      takenAt: string;
      findings: DoctorFinding[];
      checks: { name?: string; ok?: boolean; text?: string }[];
      notes: string[];
    }>(`/api/doctor${logs ? '?logs=1' : ''}`);
    el.innerHTML =
      `<p>${esc(rep.takenAt)} — ${rep.findings.length} finding${rep.findings.length === 1 ? '' : 's'}</p>` +
      `<ol>${rep.findings
        .map((f) => {
          const { severity, title, ...rest } = f;
          return `<li><span class="sev-${esc(severity)}">${esc(severity)}</span> ${esc(title ?? f.summary ?? '')}<details><summary>evidence</summary><pre>${esc(JSON.stringify(rest, null, 2))}</pre></details></li>`;
        })
        .join('')}</ol>` +
      (rep.notes.length ? `<p class="hint">${rep.notes.map(esc).join('<br>')}</p>` : '');
  } catch (e) {
    el.innerHTML = `<p class="error">${esc((e as Error).message)}</p>`;
  }
}

// ---- actions ----

function policyBody(): Record<string, string> {
  const profile = ($('profile') as HTMLSelectElement).value;
  const text = ($('policy-text') as HTMLTextAreaElement).value;
  return profile ? { profile } : { policy: text };
}

function refused(status: number, body: Record<string, unknown>): string | null {
  if (status === 401) return 'refused by the agent (401): enter the token above';
  if (status >= 400) return `HTTP ${status}: ${String(body.error ?? '')}`;
  return null;
}

async function doPreview(): Promise<void> {
  const r = await post('/api/plan', policyBody());
  const err = refused(r.status, r.body);
  if (err) return showError(err);
  const plan = r.body.plan as {
    changes: { ifname: string; set: Record<string, boolean>; why?: string }[];
    skipped: unknown[];
  };
  $('action-result').innerHTML =
    `<p>Plan for <strong>${esc(r.body.policy)}</strong>: ${plan.changes.length} interface${plan.changes.length === 1 ? '' : 's'} to change, ${plan.skipped.length} feature${plan.skipped.length === 1 ? '' : 's'} skipped.</p>` +
    (r.body.conflict ? `<p class="error">${esc(r.body.conflict)}</p>` : '') +
    `<pre id="plan-changes">${plan.changes
      .slice(0, 200)
      .map(
        (c) =>
          `${c.ifname}: ${Object.entries(c.set)
            .map(([k, v]) => `${k} ${v ? 'on' : 'off'}`)
            .join(', ')}`,
      )
      .map(esc)
      .join('\n')}${plan.changes.length > 200 ? '\n…' : ''}</pre>`;
}

async function doApply(): Promise<void> {
  const r = await post('/api/apply', policyBody());
  const err = refused(r.status, r.body);
  if (err) return showError(err);
  const snap = r.body.snapshot as string | null;
  const counts = r.body.counts as Record<string, number>;
  $('action-result').innerHTML =
    `<p id="apply-status" data-status="${esc(r.body.status)}">Apply ${esc(r.body.status)}: ${Object.entries(counts)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}.` +
    (snap
      ? ` Snapshot <code id="apply-snapshot">${esc(snap)}</code> <button type="button" class="undo" data-snapshot="${esc(snap)}">Undo (restore ${esc(snap)})</button>`
      : '') +
    '</p>';
  void loadSnapshots();
}

async function doRestore(id: string): Promise<void> {
  const r = await post('/api/restore', { snapshot: id });
  const err = refused(r.status, r.body);
  if (err) return showError(err);
  const counts = r.body.counts as Record<string, number>;
  $('action-result').innerHTML =
    `<p id="restore-status" data-ok="${r.body.ok ? 'yes' : 'no'}">Restore of ${esc(id)}: ${r.body.ok ? 'back as recorded' : 'NOT fully restored'} (${Object.entries(
      counts,
    )
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}).</p>`;
  void loadSnapshots();
}

async function doMode(mode: string): Promise<void> {
  const r = await post('/api/mode', { mode });
  const err = refused(r.status, r.body);
  if (err) return showError(err);
  $('mode').textContent = String(r.body.mode);
  if (model) model.mode = String(r.body.mode);
}

async function loadSnapshots(): Promise<void> {
  try {
    const s = await getJson<{
      snapshots: { id: string; createdAt?: string; policy?: string; status?: string; interfaces?: number }[];
    }>('/api/snapshots');
    $('snapshots').innerHTML = s.snapshots.length
      ? `<ul>${s.snapshots.map((x) => `<li><code>${esc(x.id)}</code> ${esc(x.policy ?? '')} ${esc(x.status ?? '')} <button type="button" class="undo" data-snapshot="${esc(x.id)}">Restore</button></li>`).join('')}</ul>`
      : '<p class="hint">none</p>';
  } catch (e) {
    $('snapshots').innerHTML = `<p class="error">${esc((e as Error).message)}</p>`;
  }
}

function tokenState(): void {
  $('token-state').textContent = getToken() ? 'token set for this tab' : 'read-only (no token)';
}

function init(): void {
  enableLazyTopology();
  connect();
  void loadState().catch((e: Error) => ($('summary').textContent = `cannot load the state: ${e.message}`));
  $('search').addEventListener('input', onSearch);
  $('matrix').addEventListener('click', (ev) => {
    const b = (ev.target as HTMLElement).closest<HTMLElement>('.name-btn');
    const r = b && model?.rows.get(Number(b.dataset.ifindex));
    if (r) renderDetail(model!, r);
  });
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = $('token') as HTMLInputElement;
    setToken(input.value.trim() || null);
    input.value = '';
    tokenState();
  });
  $('token-forget').addEventListener('click', () => {
    setToken(null);
    tokenState();
  });
  $('preview').addEventListener('click', () => void doPreview().catch((e: Error) => showError(e.message)));
  $('apply').addEventListener('click', () => void doApply().catch((e: Error) => showError(e.message)));
  $('mode-report').addEventListener('click', () => void doMode('report').catch((e: Error) => showError(e.message)));
  $('mode-enforce').addEventListener('click', () => void doMode('enforce').catch((e: Error) => showError(e.message)));
  document.addEventListener('click', (ev) => {
    const b = (ev.target as HTMLElement).closest<HTMLElement>('button.undo');
    if (b) void doRestore(b.dataset.snapshot!).catch((e: Error) => showError(e.message));
  });
  $('doctor-run').addEventListener('click', () => void runDoctor());
  tokenState();
  void loadBench().catch((e: Error) => ($('bench').textContent = e.message));
  void loadSnapshots();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
