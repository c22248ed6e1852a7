import { OffloadError } from '../../model/errors.js';
import type { RenderInput, RenderResult, VmPortScheme } from '../types.js';

/**
 * libvirt's per-NIC virtio options (formatdomain: <interface><driver><host .../><guest .../>):
 * host_* are offloads the guest may send to the host (QEMU backend), guest_* are what the host may
 * send to the guest: QEMU sets the tap's TSO/checksum from guest_* (TUNSETOFFLOAD), so
 * <guest tso4='off'/> is what keeps a tap's TSO off for good. Printed, never applied.
 */
const HOST_MAP: [string, string[]][] = [
  ['csum', ['tx-checksum-ip-generic', 'tx-checksum-ipv4', 'tx-checksum-ipv6']],
  ['gso', ['tx-generic-segmentation']],
  ['tso4', ['tx-tcp-segmentation']],
  ['tso6', ['tx-tcp6-segmentation']],
  ['ecn', ['tx-tcp-ecn-segmentation']],
  ['ufo', ['tx-udp-fragmentation']],
];
const GUEST_MAP = HOST_MAP.filter(([k]) => k !== 'gso');

export function driverAttrs(desired: Record<string, boolean>, map: [string, string[]][]): [string, 'on' | 'off'][] {
  const out: [string, 'on' | 'off'][] = [];
  for (const [attr, feats] of map) {
    const vals = feats.map((f) => desired[f]).filter((v) => v !== undefined);
    if (vals.length === 0) continue;
    // 'off' wins: libvirt can only offer a feature to the guest or not.
    out.push([attr, vals.every((v) => v) ? 'on' : 'off']);
  }
  return out;
}

function setAttrs(tag: string, attrs: [string, string][]): string {
  let t = tag;
  for (const [k, v] of attrs) {
    const re = new RegExp(`\\s${k}=(['"])[^'"]*\\1`);
    t = re.test(t) ? t.replace(re, ` ${k}='${v}'`) : t.replace(/\s*(\/?)>$/, ` ${k}='${v}'$1>`);
  }
  return t;
}

/** Edit every virtio <interface> of the domain XML; everything else stays byte for byte. */
export function editDomainXml(xml: string, scheme: VmPortScheme): { xml: string; edited: number; skipped: string[] } {
  const host = driverAttrs(scheme.desired, HOST_MAP);
  const guest = driverAttrs(scheme.desired, GUEST_MAP);
  let edited = 0;
  const skipped: string[] = [];
  const out = xml.replace(/<interface\b[\s\S]*?<\/interface>/g, (block) => {
    const model = /<model\s+type=(['"])([^'"]+)\1/.exec(block)?.[2];
    const dev = /<target\s+[^>]*dev=(['"])([^'"]+)\1/.exec(block)?.[2] ?? '(unnamed)';
    if (model !== 'virtio') {
      skipped.push(`${dev}: model ${model ?? 'default'} has no host/guest offload options (virtio only)`);
      return block;
    }
    edited++;
    const indent = /\n(\s*)<\/interface>$/.exec(block)?.[1] ?? '    ';
    const inner = indent + '  ';
    const children = (attrs: [string, string][], name: string, body: string) => {
      if (attrs.length === 0) return body;
      const re = new RegExp(`<${name}\\b[^>]*/>`);
      return re.test(body)
        ? body.replace(re, (t) => setAttrs(t, attrs))
        : body + `\n${inner}  ` + setAttrs(`<${name}/>`, attrs);
    };
    const selfClosing = /<driver\b[^>]*\/>/.exec(block);
    const open = /<driver\b(?:[^>]*[^/>])?>([\s\S]*?)<\/driver>/.exec(block);
    if (open) {
      let body = open[1]!.replace(/\s+$/, '');
      body = children(host, 'host', body);
      body = children(guest, 'guest', body);
      return block.replace(open[0], open[0].replace(open[1]!, body + `\n${inner}`));
    }
    const driverTag = selfClosing ? selfClosing[0].replace(/\s*\/>$/, '>') : '<driver>';
    const body = children(guest, 'guest', children(host, 'host', ''));
    const element = `${driverTag}${body}\n${inner}</driver>`;
    if (selfClosing) return block.replace(selfClosing[0], element);
    return block.replace(/\n(\s*)<\/interface>$/, `\n${inner}${element}\n$1</interface>`);
  });
  return { xml: out, edited, skipped };
}

export function renderLibvirtXml(input: RenderInput): RenderResult {
  if (input.domainXml === undefined)
    throw new OffloadError(
      'usage',
      '--target libvirt-xml needs --domain-xml FILE (a domain XML, e.g. from `virsh dumpxml DOMAIN`)',
    );
  if (!/<domain\b/.test(input.domainXml))
    throw new OffloadError('input', 'the --domain-xml file is not a libvirt domain XML (no <domain> element)');
  const scheme = input.vmSchemes.find((s) => s.label.startsWith('libvirt')) ?? input.vmSchemes[0];
  if (!scheme) throw new OffloadError('input', 'the policy selects no VM port');
  const { xml, edited, skipped } = editDomainXml(input.domainXml, scheme);
  return {
    target: 'libvirt-xml',
    files: [{ path: '-', content: xml, mode: 0o644 }],
    moves: [],
    coverage: [],
    notes: [
      `${edited} virtio interface(s) edited; apply with \`virsh edit DOMAIN\` (or virsh define), effective at the next VM start`,
      ...skipped,
    ],
    commands: [],
  };
}
