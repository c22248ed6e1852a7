import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  emptyVmIndex,
  libvirtIndex,
  parseLibvirtDomainXml,
  parseProxmoxConfName,
  proxmoxVmids,
  type LibvirtDomain,
  type VmIndex,
} from './vm.js';

export const DEFAULT_LIBVIRT_DIR = '/run/libvirt/qemu';
export const DEFAULT_PROXMOX_DIR = '/etc/pve/qemu-server';

export interface VmSources {
  /** Directory of libvirt domain status XML files (default /run/libvirt/qemu). */
  libvirtDir?: string;
  /** Directory of Proxmox VM configs (default /etc/pve/qemu-server). */
  proxmoxDir?: string;
}

/**
 * Read what the VM platforms record about their interfaces. Missing or unreadable directories and
 * files are normal (not a libvirt host, not root): they just contribute nothing.
 * `ifnames` limits Proxmox config reads to the vmids that interface names mention.
 */
export function readVmIndex(sources: VmSources, ifnames: readonly string[]): VmIndex {
  const index = emptyVmIndex();
  index.byIfname = libvirtIndex(readLibvirtDomains(sources.libvirtDir ?? DEFAULT_LIBVIRT_DIR));
  const pveDir = sources.proxmoxDir ?? DEFAULT_PROXMOX_DIR;
  for (const id of proxmoxVmids(ifnames)) {
    const text = readOptional(join(pveDir, `${id}.conf`));
    const name = text === null ? null : parseProxmoxConfName(text);
    if (name) index.proxmoxNames.set(id, name);
  }
  return index;
}

export function readLibvirtDomains(dir: string): LibvirtDomain[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const out: LibvirtDomain[] = [];
  for (const f of entries.sort()) {
    if (!f.endsWith('.xml')) continue;
    const text = readOptional(join(dir, f));
    const d = text === null ? null : parseLibvirtDomainXml(text);
    if (d) out.push(d);
  }
  return out;
}

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
