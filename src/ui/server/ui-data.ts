import type { FeatureMap, LinkInfo, Policy } from '../../model/types.js';
import { buildObservation } from '../../host/observe.js';
import { emptyVmIndex, type VmIndex } from '../../host/vm.js';
import { resolvePolicy } from '../../policy/resolve.js';
import { MAIN_COLUMNS, membersOf } from '../../host/status-view.js';
import { SHORT_NAMES } from '../../policy/short-names.js';
import { FEATURE_CODES, type UiColumn, type UiRow, type UiWant } from '../shared/types.js';

/**
 * The agent's state as the page's rows, pure: links + features (as the agent last saw them from
 * the kernel, notifications included) + the agent's per-interface state + the policy → UiRows.
 * Roles come from the same classification `status` uses (buildObservation), wants from the same
 * resolvePolicy the agent enforces with.
 */

/** What the page needs from a running agent (the agent implements it, tests build it). */
export interface AgentView {
  links: ReadonlyMap<number, LinkInfo>;
  features: ReadonlyMap<number, FeatureMap>;
  tracked(ifindex: number): { state: string; finding: string | null } | undefined;
  policy(): Policy;
  mode(): string;
  ready(): boolean;
  backend: string;
}

/**
 * Tables that only grow while the agent runs, so indexes in rows stay valid across patches: the
 * kernel feature names (one list per kernel: ETH_SS_FEATURES), rule names, and interned wants.
 */
export class UiTables {
  readonly features: string[] = [];
  private readonly featureIndex = new Map<string, number>();
  readonly rules: string[] = [];
  private readonly ruleIndex = new Map<string, number>();
  readonly wants: UiWant[] = [];
  private readonly wantIndex = new Map<string, number>();
  private lastKeys: string[] = [];
  private lastOrder: number[] = [];
  private inOrder = false;
  private readonly codeCache = new WeakMap<FeatureMap, string>();

  /** Feature codes of `fm` in this table's order (new names are appended). */
  codes(fm: FeatureMap): string {
    // the agent replaces an interface's FeatureMap when anything changes, never edits it: by identity
    const cached = this.codeCache.get(fm);
    if (cached !== undefined) return cached;
    const c = this.computeCodes(fm);
    this.codeCache.set(fm, c);
    return c;
  }

  private computeCodes(fm: FeatureMap): string {
    const keys = Object.keys(fm);
    if (keys.length !== this.lastKeys.length || keys.some((k, i) => k !== this.lastKeys[i])) {
      this.lastKeys = keys;
      this.lastOrder = keys.map((k) => this.featureId(k));
      this.inOrder = this.lastOrder.every((v, i) => v === i) && keys.length === this.features.length;
    }
    // Object.values is one native call in key order (cheaper than 64 keyed loads per interface)
    const states = Object.values(fm);
    if (this.inOrder) {
      // the common case: every device of the kernel reports the same list, in the table's order
      let out = '';
      for (let i = 0; i < states.length; i++) {
        const st = states[i]!;
        out += FEATURE_CODES[(st.active ? 4 : 0) | (st.requested ? 2 : 0) | (st.fixed ? 1 : 0)]!;
      }
      return out;
    }
    const out: string[] = new Array(this.features.length).fill('-');
    for (let i = 0; i < states.length; i++) {
      const st = states[i]!;
      out[this.lastOrder[i]!] = FEATURE_CODES[(st.active ? 4 : 0) | (st.requested ? 2 : 0) | (st.fixed ? 1 : 0)]!;
    }
    return out.join('');
  }

  want(features: Record<string, { value: boolean; rule: string }> | undefined): number {
    if (!features) return -1;
    let key = '';
    for (const k in features) {
      const v = features[k]!;
      key += `${k}\u0000${v.value ? 1 : 0}\u0000${v.rule}\u0001`;
    }
    if (key === '') return -1;
    let i = this.wantIndex.get(key);
    if (i === undefined) {
      const w: UiWant = {};
      for (const [k, v] of Object.entries(features)) {
        let r = this.ruleIndex.get(v.rule);
        if (r === undefined) {
          r = this.rules.push(v.rule) - 1;
          this.ruleIndex.set(v.rule, r);
        }
        w[k] = [v.value ? 1 : 0, r];
      }
      i = this.wants.push(w) - 1;
      this.wantIndex.set(key, i);
    }
    return i;
  }

  /** The main columns (TSO, GSO, GRO, LRO, SG, TX-CSUM, RX-CSUM) over the current feature list. */
  columns(): UiColumn[] {
    return MAIN_COLUMNS.map((c) => {
      const names = membersOf(c.short, this.features);
      const ethtool = SHORT_NAMES.find((s) => s.short === c.short)?.long ?? c.short;
      return { head: c.head, short: c.short, ethtool, members: names.map((n) => this.featureIndex.get(n)!) };
    });
  }

  private featureId(name: string): number {
    let i = this.featureIndex.get(name);
    if (i === undefined) {
      i = this.features.push(name) - 1;
      this.featureIndex.set(name, i);
    }
    return i;
  }
}

/**
 * Rows for `ifindexes` (all links when omitted), in ifindex order. Masters of the chosen links are
 * included in the observation (a port's role depends on its master's kind) but not returned.
 */
export function buildRows(
  view: AgentView,
  tables: UiTables,
  ifindexes?: Iterable<number>,
  vmIndex: VmIndex = emptyVmIndex(),
): UiRow[] {
  let links: LinkInfo[];
  let wanted: Set<number> | null = null;
  if (ifindexes === undefined) links = [...view.links.values()];
  else {
    wanted = new Set(ifindexes);
    const chosen = new Map<number, LinkInfo>();
    for (const k of wanted) {
      const l = view.links.get(k);
      if (!l) continue;
      chosen.set(k, l);
      const m = l.masterIndex !== null ? view.links.get(l.masterIndex) : undefined;
      if (m) chosen.set(m.ifindex, m);
    }
    links = [...chosen.values()];
  }
  const obs = buildObservation({ links, features: view.features, vmIndex, backend: 'netlink' });
  const desired = resolvePolicy(view.policy(), obs);
  const byIndex = new Map(desired.interfaces.map((d) => [d.ifindex, d]));
  const rows: UiRow[] = [];
  for (const i of obs.interfaces) {
    if (wanted && !wanted.has(i.ifindex)) continue;
    const t = view.tracked(i.ifindex);
    rows.push({
      ifindex: i.ifindex,
      name: i.name,
      kind: i.kind,
      role: i.role,
      master: i.master,
      operstate: i.operstate,
      vm: i.vm ? { platform: i.vm.platform, id: i.vm.id, name: i.vm.name, nic: i.vm.nic } : null,
      state: t?.state ?? 'pending',
      finding: t?.finding ?? null,
      codes: tables.codes(i.features),
      want: tables.want(byIndex.get(i.ifindex)?.features),
    });
  }
  return rows;
}

/** A row's identity for change detection (rows are plain data: equal text, equal row). */
export function rowKey(r: UiRow): string {
  return `${r.name}|${r.kind}|${r.role}|${r.master}|${r.operstate}|${r.state}|${r.finding}|${r.codes}|${r.want}|${r.vm ? `${r.vm.platform}/${r.vm.id}/${r.vm.name}/${r.vm.nic}` : ''}`;
}
