import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { VmRef } from '../model/types.js';
import {
  libvirtIndex,
  parseLibvirtDomainXml,
  parseProxmoxConfName,
  proxmoxVmids,
  type LibvirtDomain,
  type VmIndex,
} from './vm.js';
import { DEFAULT_LIBVIRT_DIR, DEFAULT_PROXMOX_DIR, type VmSources } from './vm-reader.js';

/**
 * The VM index (host/vm-reader.ts) for a long-running process: a libvirt domain's status XML is
 * read and parsed again only when its file changed (name, size or mtime; libvirt rewrites it with a
 * rename, virFileRewrite), a Proxmox config only when its mtime changed. Each call costs a readdir
 * and a stat per file instead of reading and parsing every file.
 */
export class VmIndexCache {
  private readonly libvirtDir: string;
  private readonly proxmoxDir: string;
  private readonly domains = new Map<string, { stamp: string; domain: LibvirtDomain | null }>();
  private byIfname: Map<string, VmRef> | null = null;
  private readonly proxmox = new Map<string, { stamp: string; name: string | null }>();

  constructor(sources: VmSources = {}) {
    this.libvirtDir = sources.libvirtDir ?? DEFAULT_LIBVIRT_DIR;
    this.proxmoxDir = sources.proxmoxDir ?? DEFAULT_PROXMOX_DIR;
  }

  /** The index as the files are now; `ifnames` limits Proxmox reads to the vmids they mention. */
  get(ifnames: readonly string[]): VmIndex {
    if (this.refreshLibvirt() || !this.byIfname) {
      this.byIfname = libvirtIndex([...this.domains.values()].flatMap((d) => (d.domain ? [d.domain] : [])));
    }
    const proxmoxNames = new Map<string, string>();
    for (const id of proxmoxVmids(ifnames)) {
      const path = join(this.proxmoxDir, `${id}.conf`);
      const stamp = stampOf(path);
      let e = this.proxmox.get(id);
      if (!e || e.stamp !== stamp) {
        const text = stamp === '' ? null : readOptional(path);
        e = { stamp, name: text === null ? null : parseProxmoxConfName(text) };
        this.proxmox.set(id, e);
      }
      if (e.name) proxmoxNames.set(id, e.name);
    }
    return { byIfname: this.byIfname, proxmoxNames };
  }

  /** Re-read changed domain files; true when anything changed. */
  private refreshLibvirt(): boolean {
    let files: string[];
    try {
      files = readdirSync(this.libvirtDir)
        .filter((f) => f.endsWith('.xml'))
        .sort();
    } catch {
      files = [];
    }
    let changed = false;
    const present = new Set(files);
    for (const f of [...this.domains.keys()]) {
      if (!present.has(f)) {
        this.domains.delete(f);
        changed = true;
      }
    }
    for (const f of files) {
      const path = join(this.libvirtDir, f);
      const stamp = stampOf(path);
      const e = this.domains.get(f);
      if (e && e.stamp === stamp) continue;
      const text = stamp === '' ? null : readOptional(path);
      this.domains.set(f, { stamp, domain: text === null ? null : parseLibvirtDomainXml(text) });
      changed = true;
    }
    if (changed) {
      // keep readdir's sorted order, as readLibvirtDomains does (the first domain naming a port wins)
      const sorted = [...this.domains.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      this.domains.clear();
      for (const [f, e] of sorted) this.domains.set(f, e);
    }
    return changed;
  }
}

function stampOf(path: string): string {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return '';
  }
}

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
