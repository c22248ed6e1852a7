import type { PersistTarget, RenderInput, RenderResult } from '../types.js';
import { renderIfupdown } from './ifupdown.js';
import { renderLibvirtHook } from './libvirt-hook.js';
import { renderLibvirtXml } from './libvirt-xml.js';
import { renderNetplan } from './netplan.js';
import { renderNetworkManager } from './networkmanager.js';
import { renderSystemdLink } from './systemd-link.js';
import { renderTuned } from './tuned.js';
import { renderUdev } from './udev.js';
import { renderXapi } from './xapi.js';

/** Render one target (pure: reads existing configuration only through input.root). */
export function render(target: PersistTarget, input: RenderInput): RenderResult {
  switch (target) {
    case 'systemd-link':
      return renderSystemdLink(input);
    case 'netplan':
      return renderNetplan(input);
    case 'networkmanager':
      return renderNetworkManager(input);
    case 'ifupdown':
      return renderIfupdown(input);
    case 'udev':
      return renderUdev(input);
    case 'libvirt-hook':
      return renderLibvirtHook(input);
    case 'libvirt-xml':
      return renderLibvirtXml(input);
    case 'tuned':
      return renderTuned(input);
    case 'xapi':
      return renderXapi(input);
  }
}
