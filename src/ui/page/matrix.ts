/// <reference lib="dom" />
import { decode, isGuestPort, matrixCell } from '../shared/matrix-cell.js';
import type { UiRow, UiSnapshot } from '../shared/types.js';
import { $, esc } from './dom.js';

/** The page's model: the snapshot, kept current by SSE patches. */
export type Model = Omit<UiSnapshot, 'rows'> & { rows: Map<number, UiRow> };

function vmText(r: UiRow): string {
  if (!r.vm) return '';
  return `${r.vm.platform}${r.vm.name ? ' ' + r.vm.name : ''}${r.vm.id ? ' #' + r.vm.id : ''}${r.vm.nic ? ' ' + r.vm.nic : ''}`;
}

/** What the search box matches: name, role, VM (platform, name, id), master. */
export function searchText(r: UiRow): string {
  return `${r.name} ${r.role} ${r.master ?? ''} ${vmText(r)}`.toLowerCase();
}

function rowCells(m: Model, r: UiRow): string {
  const want = r.want >= 0 ? (m.wants[r.want] ?? null) : null;
  let html =
    `<th scope="row"><button type="button" class="name-btn" data-ifindex="${r.ifindex}">${esc(r.name)}</button></th>` +
    `<td>${esc(r.role)}</td><td>${esc(r.master ?? '')}</td><td>${esc(vmText(r))}</td>` +
    `<td class="st-${esc(r.state)}">${esc(r.state)}${r.finding ? ` (${esc(r.finding)})` : ''}</td>`;
  for (const c of m.columns) {
    const cell = matrixCell(r, m.features, c.members, want, m.rules, c.head);
    const marks = cell.marks.length ? ` [${cell.marks.join(', ')}]` : '';
    html += `<td class="c-${cell.compliance}" data-col="${c.ethtool}" data-active="${cell.active === null ? '-' : cell.active ? 'on' : 'off'}" title="${esc(cell.title)}">${esc(cell.text + marks)}</td>`;
  }
  return html;
}

function rowHtml(m: Model, r: UiRow, hidden: boolean): string {
  return `<tr id="r-${r.ifindex}" data-ifname="${esc(r.name)}"${hidden ? ' class="hidden"' : ''}>${rowCells(m, r)}</tr>`;
}

/** Rows rendered at once; the rest follow in chunks after the first paint. */
const FIRST_ROWS = 120;
const CHUNK_ROWS = 400;
/** ifindexes whose rows a chunk has yet to render (a live update leaves them to it). */
const notYet = new Set<number>();
let chunkTimer: number | null = null;

/**
 * Render the matrix: the first screenful at once (one innerHTML: the browser's parser is the
 * fastest DOM builder), the rest in chunks after the browser has painted, each from the model as
 * it is then (live updates in between are not lost).
 */
export function renderMatrix(m: Model, order: UiRow[], match: (r: UiRow) => boolean): void {
  const thead = ($('matrix') as HTMLTableElement).tHead!;
  thead.innerHTML =
    '<tr><th scope="col">Interface</th><th scope="col">Role</th><th scope="col">Master</th><th scope="col">VM</th><th scope="col">Agent state</th>' +
    m.columns
      .map(
        (c) =>
          `<th scope="col" title="${esc(c.ethtool)}: ${esc(c.members.map((i) => m.features[i]).join(', '))}">${esc(c.head)}</th>`,
      )
      .join('') +
    '</tr>';
  const tbody = ($('matrix') as HTMLTableElement).tBodies[0]!;
  if (chunkTimer !== null) clearTimeout(chunkTimer);
  notYet.clear();
  tbody.innerHTML = order
    .slice(0, FIRST_ROWS)
    .map((r) => rowHtml(m, r, !match(r)))
    .join('');
  const rest = order.slice(FIRST_ROWS).map((r) => r.ifindex);
  for (const i of rest) notYet.add(i);
  let at = 0;
  const chunk = () => {
    chunkTimer = null;
    const ids = rest.slice(at, at + CHUNK_ROWS);
    at += CHUNK_ROWS;
    let html = '';
    for (const i of ids) {
      if (!notYet.delete(i)) continue;
      const r = m.rows.get(i);
      if (r) html += rowHtml(m, r, !match(r));
    }
    tbody.insertAdjacentHTML('beforeend', html);
    if (at < rest.length) chunkTimer = window.setTimeout(chunk, 0);
    else document.body.dataset.matrixComplete = 'yes';
  };
  if (rest.length) chunkTimer = window.setTimeout(chunk, 0);
  else document.body.dataset.matrixComplete = 'yes';
}

/** Replace or add one row in place (live update); `before`: the row's neighbour in the order. */
export function updateRow(m: Model, r: UiRow, hidden: boolean, flash: boolean): void {
  const tbody = ($('matrix') as HTMLTableElement).tBodies[0]!;
  let tr = document.getElementById(`r-${r.ifindex}`) as HTMLTableRowElement | null;
  if (!tr && notYet.has(r.ifindex)) return; // its chunk renders it from the model
  if (!tr) {
    tr = document.createElement('tr');
    tr.id = `r-${r.ifindex}`;
    tbody.appendChild(tr);
  }
  tr.dataset.ifname = r.name;
  tr.innerHTML = rowCells(m, r);
  tr.className = (hidden ? 'hidden' : '') + (flash ? ' flash' : '');
}

export function removeRow(ifindex: number): void {
  notYet.delete(ifindex);
  document.getElementById(`r-${ifindex}`)?.remove();
}

/** Every kernel feature of one interface, with its wanted state and rule (on demand). */
export function renderDetail(m: Model, r: UiRow): void {
  const want = r.want >= 0 ? (m.wants[r.want] ?? {}) : {};
  const guest = isGuestPort(r);
  const rows = m.features
    .map((name, i) => {
      const st = decode(r.codes[i] ?? '-');
      if (!st) return '';
      const w = want[name];
      const wantText = w ? `${w[0] ? 'on' : 'off'} (${esc(m.rules[w[1]] ?? '')})` : '';
      let cls = 'c-none';
      if (w) {
        const v = w[0] === 1;
        cls =
          st.active === v
            ? 'c-ok'
            : st.fixed
              ? 'c-fixed'
              : st.requested === v
                ? guest
                  ? 'c-guest'
                  : 'c-held'
                : 'c-bad';
      }
      return `<tr class="${cls}"><td>${esc(name)}</td><td>${st.active ? 'on' : 'off'}</td><td>${st.requested ? 'on' : 'off'}</td><td>${st.fixed ? 'fixed' : ''}</td><td>${wantText}</td></tr>`;
    })
    .join('');
  const d = $('detail');
  d.hidden = false;
  d.innerHTML =
    `<h3>${esc(r.name)} — every kernel feature <button type="button" id="detail-close">Close</button></h3>` +
    `<p>${esc(r.role)}${r.kind ? ', ' + esc(r.kind) : ''}${r.master ? ', port of ' + esc(r.master) : ''}${r.vm ? ', VM ' + esc(vmText(r)) : ''}; agent state ${esc(r.state)}${r.finding ? ' (' + esc(r.finding) + ')' : ''}</p>` +
    `<table><thead><tr><th>feature</th><th>active</th><th>requested</th><th>fixed</th><th>policy wants</th></tr></thead><tbody>${rows}</tbody></table>`;
  $('detail-close').addEventListener('click', () => {
    d.hidden = true;
    (document.querySelector(`#r-${r.ifindex} .name-btn`) as HTMLElement | null)?.focus();
  });
  ($('detail-close') as HTMLButtonElement).focus();
}
