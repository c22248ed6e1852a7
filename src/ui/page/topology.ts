/// <reference lib="dom" />
import type { UiRow } from '../shared/types.js';
import { $, esc } from './dom.js';

/**
 * uplinks → bridges → ports → VMs. A master is whatever other interfaces name as their master
 * (a Linux bridge, a bond, an OVS bridge once the agent reports those): no special case per kind.
 */
export function renderTopology(rows: readonly UiRow[], match: (r: UiRow) => boolean, open: Set<string>): void {
  const byName = new Map(rows.map((r) => [r.name, r]));
  const ports = new Map<string, UiRow[]>();
  for (const r of rows) {
    if (!r.master || !byName.has(r.master)) continue;
    let l = ports.get(r.master);
    if (!l) ports.set(r.master, (l = []));
    l.push(r);
  }
  const masters = rows.filter((r) => ports.has(r.name) || r.role === 'bridge');
  // bonds under a bridge are shown under it, not as a root
  const roots = masters.filter((r) => !r.master || !byName.has(r.master));
  const badge = (r: UiRow) =>
    `<span class="badge">${esc(r.role)}</span>` +
    (r.vm
      ? `<span class="badge vm">VM ${esc(r.vm.platform)}${r.vm.name ? ' ' + esc(r.vm.name) : ''}${r.vm.id ? ' #' + esc(r.vm.id) : ''}${r.vm.nic ? ' ' + esc(r.vm.nic) : ''}</span>`
      : '') +
    (r.state === 'compliant' || r.state === 'unmanaged' ? '' : `<span class="badge">${esc(r.state)}</span>`);
  const seen = new Set<string>();
  const visible = (r: UiRow): boolean => match(r) || (ports.get(r.name) ?? []).some(visible);
  const node = (r: UiRow): string => {
    seen.add(r.name);
    const kids = ports.get(r.name) ?? [];
    if (kids.length === 0 && r.role !== 'bridge')
      return `<li data-ifname="${esc(r.name)}">${esc(r.name)}${badge(r)}</li>`;
    const uplinks = kids.filter(
      (k) =>
        k.role === 'uplink' || k.role === 'physical' || k.role === 'bond' || k.role === 'vlan' || k.role === 'tunnel',
    );
    const others = kids.filter((k) => !uplinks.includes(k));
    const shown = others.filter(visible);
    const isOpen = open.has(r.name) || (open.size === 0 && kids.length <= 50);
    if (!isOpen) lazy.set(r.name, () => shown.map(node).join(''));
    return (
      `<li><details data-master="${esc(r.name)}"${isOpen ? ' open' : ''}><summary>` +
      (uplinks.length
        ? uplinks.map((u) => `<span data-ifname="${esc(u.name)}">${esc(u.name)}</span>${badge(u)}`).join(', ') + ' → '
        : '') +
      `<strong data-ifname="${esc(r.name)}">${esc(r.name)}</strong>${badge(r)} — ${others.length} port${others.length === 1 ? '' : 's'}` +
      // a closed bridge's ports are built when it is opened (toggle): 2,000 ports cost nothing until looked at
      `</summary><ul>${isOpen ? shown.map(node).join('') : ''}</ul></details></li>`
    );
  };
  lazy.clear();
  const tree = roots.filter(visible).map(node).join('');
  const loose = rows.filter(
    (r) => !seen.has(r.name) && !r.master && r.role !== 'loopback' && !ports.has(r.name) && match(r),
  );
  const looseOpen = open.size === 0 ? loose.length <= 50 : open.has('');
  const looseHtml = () => loose.map((r) => `<li data-ifname="${esc(r.name)}">${esc(r.name)}${badge(r)}</li>`).join('');
  if (!looseOpen) lazy.set('', looseHtml);
  $('topology').innerHTML =
    `<ul class="topology">${tree}</ul>` +
    (loose.length
      ? `<details data-master=""${looseOpen ? ' open' : ''}><summary>Not in a bridge — ${loose.length}</summary><ul>${looseOpen ? looseHtml() : ''}</ul></details>`
      : '');
}

/** Children of closed bridges, built on first opening. */
const lazy = new Map<string, () => string>();

/** Fill a bridge's port list when it is opened (details 'toggle' does not bubble: listen in capture). */
export function enableLazyTopology(): void {
  $('topology').addEventListener(
    'toggle',
    (ev) => {
      const d = ev.target as HTMLDetailsElement;
      const name = d.dataset.master;
      if (!d.open || name === undefined) return;
      const build = lazy.get(name);
      if (!build) return;
      lazy.delete(name);
      d.querySelector(':scope > ul')!.innerHTML = build();
    },
    true,
  );
}

/** Which bridges the operator has open, to keep them so across re-renders. */
export function openMasters(): Set<string> {
  const s = new Set<string>();
  document.querySelectorAll<HTMLDetailsElement>('#topology details[data-master]').forEach((d) => {
    if (d.open) s.add(d.dataset.master!);
  });
  return s;
}
