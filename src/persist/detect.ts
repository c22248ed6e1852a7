import type { PersistInterface, PersistTarget, RootView } from './types.js';
import { iniValues, parseIni } from './ini.js';
import { ifupdownFiles } from './render/ifupdown.js';
import { NM_DIRS } from './render/networkmanager.js';
import { parse as parseYaml } from 'yaml';

/** What the target root has, by the files each mechanism reads. */
export interface Detected {
  udev: boolean;
  netplan: boolean;
  networkmanager: boolean;
  ifupdown: boolean;
  libvirt: boolean;
  proxmox: boolean;
  tuned: boolean;
}

export function detect(root: RootView): Detected {
  const nonEmpty = (dir: string, ext: string) => root.list(dir).some((f) => f.endsWith(ext));
  return {
    udev: root.exists('/etc/udev') || root.exists('/usr/lib/udev/rules.d') || root.exists('/lib/udev/rules.d'),
    netplan: nonEmpty('/etc/netplan', '.yaml'),
    networkmanager: root.exists('/etc/NetworkManager'),
    ifupdown: root.exists('/etc/network/interfaces'),
    libvirt: root.exists('/etc/libvirt'),
    proxmox: root.exists('/etc/pve'),
    tuned: root.exists('/etc/tuned'),
  };
}

/** Interface names the host's own network configuration manages, per mechanism. */
function managedBy(root: RootView, d: Detected): { netplan: Set<string>; ifupdown: Set<string>; nm: Set<string> } {
  const netplan = new Set<string>();
  if (d.netplan) {
    for (const f of root.list('/etc/netplan')) {
      try {
        const doc = parseYaml(root.read(`/etc/netplan/${f}`) ?? '') as {
          network?: { ethernets?: Record<string, { 'set-name'?: string; match?: { name?: string } }> };
        };
        for (const [id, v] of Object.entries(doc?.network?.ethernets ?? {})) {
          netplan.add(v?.['set-name'] ?? v?.match?.name ?? id);
          netplan.add(id);
        }
      } catch {
        /* ignore */
      }
    }
  }
  const ifupdown = new Set<string>();
  if (d.ifupdown) {
    for (const f of ifupdownFiles(root)) {
      for (const l of (root.read(f) ?? '').split('\n')) {
        const m = /^\s*iface\s+(\S+)\s/.exec(l);
        if (m) ifupdown.add(m[1]!);
      }
    }
  }
  const nm = new Set<string>();
  if (d.networkmanager) {
    for (const dir of NM_DIRS) {
      for (const f of root.list(dir)) {
        try {
          const n = iniValues(parseIni(root.read(`${dir}/${f}`) ?? ''), 'connection', 'interface-name')[0];
          if (n) nm.add(n);
        } catch {
          /* ignore */
        }
      }
    }
  }
  return { netplan, ifupdown, nm };
}

export interface AutoChoice {
  detected: Detected;
  /** Target → the boot interfaces it is rendered for. */
  boot: Map<PersistTarget, PersistInterface[]>;
  /** Targets that cover VM ports at VM start. */
  vmStart: PersistTarget[];
  /** Interfaces no detected mechanism can cover at boot. */
  uncovered: string[];
  reasons: string[];
}

/**
 * `--target auto`: per boot interface, the mechanism that already manages it (netplan for its NICs,
 * an ifupdown stanza, a NetworkManager profile), else a systemd .link file (udev applies those to
 * every device), else tuned for a physical NIC. VM ports: the udev rule (every tap/vif, any
 * platform) and, with libvirt, its qemu hook too (it runs once the domain's taps exist).
 */
export function chooseTargets(root: RootView, bootIfaces: readonly PersistInterface[]): AutoChoice {
  const d = detect(root);
  const m = managedBy(root, d);
  const boot = new Map<PersistTarget, PersistInterface[]>();
  const reasons: string[] = [];
  const uncovered: string[] = [];
  const add = (t: PersistTarget, i: PersistInterface, why: string) => {
    boot.set(t, [...(boot.get(t) ?? []), i]);
    reasons.push(`${i.name}: ${t} (${why})`);
  };
  for (const i of bootIfaces) {
    if (d.netplan && i.physical && m.netplan.has(i.name)) add('netplan', i, 'netplan configures it');
    else if (d.ifupdown && m.ifupdown.has(i.name))
      add('ifupdown', i, `it has a stanza in /etc/network/interfaces${d.proxmox ? ' (Proxmox)' : ''}`);
    else if (d.networkmanager && m.nm.has(i.name)) add('networkmanager', i, 'a NetworkManager profile is bound to it');
    else if (d.udev) add('systemd-link', i, 'udev applies .link files to every device it adds');
    else if (d.tuned && i.physical) add('tuned', i, 'physical NIC, tuned present');
    else uncovered.push(i.name);
  }
  const vmStart: PersistTarget[] = [];
  if (d.udev) vmStart.push('udev');
  if (d.libvirt) vmStart.push('libvirt-hook');
  return { detected: d, boot, vmStart, uncovered, reasons };
}
