import { COMMON_KERNEL_FEATURES } from '../../../src/policy/short-names.js';
import type { PersistInterface, RenderOptions, VmPortScheme } from '../../../src/persist/types.js';
import { expandFeatureName } from '../../../src/policy/short-names.js';

export const KNOWN = [...COMMON_KERNEL_FEATURES];

/** What tso off + gso off resolves to on an interface with every common feature. */
export function tsoGsoOff(known: readonly string[] = KNOWN): Record<string, boolean> {
  const d: Record<string, boolean> = {};
  for (const f of [...expandFeatureName('tso', known), ...expandFeatureName('gso', known)]) d[f] = false;
  return d;
}

export function iface(name: string, over: Partial<PersistInterface> = {}): PersistInterface {
  return {
    name,
    kind: null,
    role: 'other',
    driver: null,
    mac: null,
    physical: false,
    vm: null,
    desired: tsoGsoOff(),
    known: KNOWN,
    ...over,
  };
}

export const OPTS: RenderOptions = {
  policyName: 'tso-gso-off',
  offloadctlPath: '/usr/local/bin/offloadctl',
  policyPath: '/etc/offloadctl/policy.yaml',
  noOffloadctlOnBootPath: false,
  ethtoolPath: '/sbin/ethtool',
};

export const PLAIN: RenderOptions = { ...OPTS, noOffloadctlOnBootPath: true };

export function schemes(desired = tsoGsoOff()): VmPortScheme[] {
  return [
    { label: 'libvirt (vnetN)', glob: 'vnet*', tun: true, platform: 'libvirt', desired, known: KNOWN },
    { label: 'Proxmox (tap<vmid>i<n>)', glob: 'tap*i*', tun: true, platform: 'proxmox', desired, known: KNOWN },
    {
      label: 'Xen (vif<domid>.<n>)',
      glob: 'vif*.*',
      tun: false,
      platform: 'xen',
      desired: { ...desired, ...Object.fromEntries(expandFeatureName('sg', KNOWN).map((f) => [f, false])) },
      known: KNOWN,
    },
    { label: 'any other tun/tap device', glob: null, tun: true, platform: null, desired, known: KNOWN },
  ];
}

export const DEFAULT_LINK = `[Match]
OriginalName=*

[Link]
NamePolicy=keep kernel database onboard slot path
AlternativeNamesPolicy=database onboard slot path
MACAddressPolicy=persistent
`;
