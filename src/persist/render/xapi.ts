import type { Coverage, PersistInterface, RenderInput, RenderResult } from '../types.js';
import { ethtoolArgs } from '../features.js';
import { shellQuote } from './common.js';

/**
 * XCP-ng / XenServer: let XAPI re-apply the policy itself. Its objects carry `ethtool-<option>`
 * keys in `other-config` (xen-api docs "Networking: Advanced settings for network interfaces"):
 * - VIF: the vif hotplug script (xen-api scripts/vif, handle_ethtool) runs `ethtool -K <dev> <option>
 *   <value>` for ethtool-rx, -tx, -sg, -tso, -ufo, -gso at every VIF plug, i.e. every VM start and
 *   migration (xcp-ng/xcp#89: `xe vif-param-set uuid=… other-config:ethtool-tx=off`).
 * - PIF: xcp-networkd applies the PIF's ethtool-* keys (the same options, plus gro and lro:
 *   xen-api#446 "set ethtool defaults", design "GRO and other properties of PIFs") when the PIF is
 *   plugged: at boot, or now with `xe pif-unplug`/`xe pif-plug`.
 * Values: `on`/`true`, `off`/`false`. The VIF's UUID is in OVSDB (Interface external_ids
 * xs-vif-uuid, written by the same hotplug script); a PIF is found by device name and host.
 */

export const VIF_KEYS = ['rx', 'tx', 'sg', 'tso', 'ufo', 'gso'] as const;
export const PIF_KEYS = [...VIF_KEYS, 'gro', 'lro'] as const;

/** One xe object and the other-config keys to set on it. */
export interface XapiSetting {
  object: 'vif' | 'pif';
  /** Interface name(s) it covers (a VIF's netback vif and QEMU's emulated tap share one VIF). */
  ifnames: string[];
  /** VIF UUID; for a PIF, null: looked up by `device` (and host) when applied. */
  uuid: string | null;
  /** PIF device name (the kernel name of the NIC). */
  device: string | null;
  /** ethtool option → value. */
  keys: [string, 'on' | 'off'][];
  /** Wanted kernel features no XAPI key expresses. */
  uncovered: string[];
}

export interface XapiPlan {
  settings: XapiSetting[];
  /** INSTALLATION_UUID from /etc/xensource-inventory, to find this host's PIFs. */
  hostUuid: string | null;
  notes: string[];
}

function keysFor(
  i: PersistInterface,
  allowed: readonly string[],
): { keys: [string, 'on' | 'off'][]; uncovered: string[] } {
  const keys: [string, 'on' | 'off'][] = [];
  const uncovered: string[] = [];
  for (const [name, value] of ethtoolArgs(i.desired, i.known)) {
    if (allowed.includes(name)) keys.push([name, value]);
    else uncovered.push(name);
  }
  return { keys, uncovered };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Which VIFs and PIFs get which keys (pure). */
export function xapiPlan(input: Pick<RenderInput, 'interfaces' | 'root'>): XapiPlan {
  const inventory = input.root.read('/etc/xensource-inventory');
  const hostUuid = inventory ? (/^INSTALLATION_UUID='?([0-9a-f-]+)'?$/m.exec(inventory)?.[1] ?? null) : null;
  const notes: string[] = [];
  const settings: XapiSetting[] = [];
  const byVif = new Map<string, XapiSetting>();
  for (const i of input.interfaces) {
    if (i.role === 'vm-port') {
      const uuid = i.externalIds?.['xs-vif-uuid'];
      if (!uuid || !UUID.test(uuid)) {
        notes.push(`${i.name}: no xs-vif-uuid in OVSDB (not a XAPI VIF): not covered by the xapi target`);
        continue;
      }
      const { keys, uncovered } = keysFor(i, VIF_KEYS);
      const seen = byVif.get(uuid);
      if (seen) {
        seen.ifnames.push(i.name);
        continue;
      }
      const s: XapiSetting = { object: 'vif', ifnames: [i.name], uuid, device: null, keys, uncovered };
      byVif.set(uuid, s);
      settings.push(s);
    } else if ((i.role === 'uplink' || i.role === 'physical') && i.physical) {
      const { keys, uncovered } = keysFor(i, PIF_KEYS);
      settings.push({ object: 'pif', ifnames: [i.name], uuid: null, device: i.name, keys, uncovered });
    } else {
      notes.push(
        `${i.name} (${i.role}): XAPI keeps ethtool settings only for VIFs and PIFs: not covered by the xapi target`,
      );
    }
  }
  return { settings: settings.filter((s) => s.keys.length > 0 || s.uncovered.length > 0), hostUuid, notes };
}

/** `xe pif-list` argv that prints the UUID of this host's PIF for `device`. */
export function pifLookupArgv(xe: string, device: string, hostUuid: string | null): string[] {
  return [xe, 'pif-list', `device=${device}`, ...(hostUuid ? [`host-uuid=${hostUuid}`] : []), '--minimal'];
}

/** `xe vif-param-set` / `xe pif-param-set` argv for one object (the PIF's UUID resolved by the caller). */
export function setArgv(xe: string, s: XapiSetting, uuid: string): string[] {
  return [xe, `${s.object}-param-set`, `uuid=${uuid}`, ...s.keys.map(([k, v]) => `other-config:ethtool-${k}=${v}`)];
}

/** `xe vif-param-get` / `xe pif-param-get` argv reading one key back. */
export function getArgv(xe: string, s: XapiSetting, uuid: string, key: string): string[] {
  return [xe, `${s.object}-param-get`, `uuid=${uuid}`, 'param-name=other-config', `param-key=ethtool-${key}`];
}

/** The target as text: the xe commands (shown, and run by `persist --target xapi --apply`). */
export function renderXapi(input: RenderInput): RenderResult {
  const plan = xapiPlan(input);
  const commands: string[] = [];
  const coverage: Coverage[] = [];
  for (const s of plan.settings) {
    if (s.keys.length) {
      const uuid = s.uuid ?? `$(${pifLookupArgv('xe', s.device!, plan.hostUuid).map(shellQuote).join(' ')})`;
      commands.push(
        setArgv('xe', s, '\0')
          .map((a) => (a === 'uuid=\0' ? `uuid=${uuid}` : shellQuote(a)))
          .join(' '),
      );
      if (s.object === 'pif')
        commands.push(
          `# takes effect when the PIF is plugged: at boot, or xe pif-unplug/pif-plug uuid=<PIF of ${s.device}>`,
        );
    }
    for (const ifname of s.ifnames) {
      coverage.push({
        match: ifname,
        when: s.object === 'vif' ? 'vm-start' : 'boot',
        covered: Object.keys(input.interfaces.find((i) => i.name === ifname)?.desired ?? {}).filter(
          (k) => !s.uncovered.includes(k),
        ),
        uncovered: s.uncovered,
      });
    }
  }
  return { target: 'xapi', files: [], moves: [], coverage, notes: plan.notes, commands };
}
