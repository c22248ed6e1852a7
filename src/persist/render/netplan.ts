import { parse as parseYaml, stringify } from 'yaml';
import type { Coverage, RenderInput, RenderResult } from '../types.js';
import { MARK } from '../types.js';
import { NETPLAN_KEYS, mapKeys } from '../features.js';
import { header } from './common.js';

export const NETPLAN_FILE = '/etc/netplan/90-offloadctl.yaml';

interface NetplanEth {
  match?: { name?: string; macaddress?: string };
  'set-name'?: string;
}

/** ethernets IDs already defined in /etc/netplan, /run/netplan, /lib/netplan (not ours). */
function existingEthernets(input: RenderInput): Map<string, NetplanEth> {
  const ids = new Map<string, NetplanEth>();
  for (const dir of ['/lib/netplan', '/run/netplan', '/etc/netplan']) {
    for (const f of input.root.list(dir)) {
      if (!f.endsWith('.yaml') || `${dir}/${f}` === NETPLAN_FILE) continue;
      try {
        const doc = parseYaml(input.root.read(`${dir}/${f}`) ?? '') as {
          network?: { ethernets?: Record<string, NetplanEth> };
        };
        for (const [id, v] of Object.entries(doc?.network?.ethernets ?? {})) ids.set(id, v ?? {});
      } catch {
        /* netplan itself will complain about a broken file */
      }
    }
  }
  return ids;
}

/**
 * netplan: offload keys exist for `ethernets` only, i.e. physical NICs (netplan has none for
 * bridges, bonds, VLANs or taps: those need another target). Only NICs an existing netplan file
 * already defines get keys, under the same ID, so netplan merges them into that definition (files
 * are merged in name order, ours last). A NIC netplan does not configure is left to other targets.
 * Netplan renders the keys into a .link file: the same tx-tcp-accecn-segmentation gap as systemd-link.
 */
export function renderNetplan(input: RenderInput): RenderResult {
  const known = existingEthernets(input);
  const ethernets: Record<string, Record<string, unknown>> = {};
  const coverage: Coverage[] = [];
  const notes: string[] = [];
  for (const iface of input.interfaces) {
    if (Object.keys(iface.desired).length === 0) continue;
    if (!iface.physical) {
      notes.push(`${iface.name}: not a physical NIC; netplan has offload keys for ethernets only`);
      continue;
    }
    const mapped = mapKeys(iface.desired, iface.known, NETPLAN_KEYS);
    const id = [...known.entries()].find(
      ([k, v]) =>
        k === iface.name ||
        v['set-name'] === iface.name ||
        v.match?.name === iface.name ||
        (iface.mac && v.match?.macaddress?.toLowerCase() === iface.mac),
    )?.[0];
    if (!id) {
      // A new ethernets entry would also make netplan write a .network file for the NIC, i.e. hand
      // it to systemd-networkd/NetworkManager: not ours to decide. Another target covers it.
      notes.push(
        `${iface.name}: netplan does not configure it (no ethernets entry); adding one would hand the NIC to netplan's renderer: use --target systemd-link for it`,
      );
      continue;
    }
    const entry: Record<string, unknown> = {};
    for (const [k, v] of mapped.entries) entry[k] = v;
    ethernets[id] = entry;
    coverage.push({
      match: iface.name,
      when: 'boot',
      covered: mapped.covered,
      uncovered: mapped.uncovered,
      ...(mapped.uncovered.length
        ? {
            caveats: [
              `${mapped.uncovered.join(', ')}: no netplan key (netplan writes TCPSegmentationOffload= into a .link file); add --target udev or systemd-link for it`,
            ],
          }
        : {}),
    });
  }
  const files =
    Object.keys(ethernets).length === 0
      ? []
      : [
          {
            path: NETPLAN_FILE,
            content: header('netplan', input.options) + stringify({ network: { version: 2, ethernets } }),
            mode: 0o600, // netplan warns about world-readable files
          },
        ];
  notes.push('netplan covers physical NICs (ethernets) only: bridges, bonds, VLANs and VM ports need another target');
  return {
    target: 'netplan',
    files,
    moves: [],
    coverage,
    notes,
    commands: files.length ? ['netplan generate', 'netplan apply'] : [],
  };
}

export { MARK };
