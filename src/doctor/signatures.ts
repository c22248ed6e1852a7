import signaturesData from './data/signatures.json' with { type: 'json' };
import { OffloadError } from '../model/errors.js';
import { SEVERITY_ORDER, type Signature, type SignatureSpec } from './types.js';

/**
 * The netdev_printk prefix (include/linux/netdevice.h, net/core/dev.c __netdev_printk):
 * "DRIVER BUS IFNAME: " for devices with a parent (PCI NICs), "IFNAME: " for virtual ones.
 * Interface names cannot contain '/', ':' or whitespace (net/core/dev.c dev_valid_name).
 */
const NETDEV = '(?:(?<driver>[\\w.-]+) (?<bus>\\S+) )?(?<ifname>[^\\s:/]+): ';

interface RawSpec extends Omit<SignatureSpec, 'regex'> {
  regex: string | string[];
}

/** Compile signature specs (one Signature per regex alternative; they share the id). */
export function compileSignatures(specs: readonly RawSpec[], source = 'signatures'): Signature[] {
  const out: Signature[] = [];
  const ids = new Set<string>();
  for (const s of specs) {
    if (!s || typeof s.id !== 'string' || !s.regex || !SEVERITY_ORDER.includes(s.severity)) {
      throw new OffloadError(
        'input',
        `${source}: signature ${JSON.stringify(s?.id ?? s)} needs id, regex and a severity of ${SEVERITY_ORDER.join('|')}`,
      );
    }
    if (ids.has(s.id)) throw new OffloadError('input', `${source}: duplicate signature id "${s.id}"`);
    ids.add(s.id);
    for (const r of Array.isArray(s.regex) ? s.regex : [s.regex]) {
      let re: RegExp;
      try {
        re = new RegExp(r.replaceAll('{NETDEV}', NETDEV));
      } catch (e) {
        throw new OffloadError('input', `${source}: signature "${s.id}": bad regex: ${(e as Error).message}`);
      }
      out.push({
        ...s,
        regex: r,
        features: s.features ?? [],
        references: s.references ?? [],
        re,
      });
    }
  }
  return out;
}

let builtin: Signature[] | null = null;

/** The built-in signatures (src/doctor/data/signatures.json). */
export function builtinSignatures(): Signature[] {
  builtin ??= compileSignatures((signaturesData as { signatures: RawSpec[] }).signatures, 'signatures.json');
  return builtin;
}

/** Parse an operator's extra signature file (same JSON shape as the built-in one). */
export function parseSignatureFile(text: string, source: string): Signature[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new OffloadError('input', `${source}: not JSON: ${(e as Error).message}`);
  }
  const list = (data as { signatures?: unknown })?.signatures;
  if (!Array.isArray(list)) throw new OffloadError('input', `${source}: expected {"signatures": [...]}`);
  return compileSignatures(list as RawSpec[], source);
}

export interface SignatureMatch {
  signature: Signature;
  ifname: string | null;
  driver: string | null;
  groups: Record<string, string>;
}

/** The first signature whose regex matches the message, with what it names. */
export function matchMessage(message: string, signatures: readonly Signature[]): SignatureMatch | null {
  for (const sig of signatures) {
    const m = sig.re.exec(message);
    if (!m) continue;
    const groups: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.groups ?? {})) if (v !== undefined) groups[k] = v;
    return {
      signature: sig,
      // netdev_rx_csum_fault prints "<unknown>" when the skb has no device.
      ifname: groups.ifname && groups.ifname !== '<unknown>' ? groups.ifname : null,
      driver: groups.driver || null,
      groups,
    };
  }
  return null;
}
