import { netlinkAddonBuild } from '../kernel/addon-info.js';

/** What scripts/build.mjs stamps into the bundle (esbuild `define`); absent when run from source (tsx). */
export interface BuildInfo {
  version: string;
  /** `git describe --always --dirty` of the tree built, or "unknown" (a tarball without .git). */
  commit: string;
  /** UTC date of the build (SOURCE_DATE_EPOCH when set: reproducible packages). */
  date: string;
}

declare const __OFFLOADCTL_BUILD__: BuildInfo | undefined;

export function buildInfo(): BuildInfo {
  return typeof __OFFLOADCTL_BUILD__ !== 'undefined'
    ? __OFFLOADCTL_BUILD__
    : { version: '0.0.0-source', commit: 'unknown', date: 'unknown' };
}

/**
 * `offloadctl --version`: one line naming the build and which netlink addon the agent would use
 * (the patched build of scripts/build-netlink-addon.sh survives a netlink overrun; the prebuilt one
 * makes the agent keep its event sockets in a child process).
 */
export function versionText(info: BuildInfo = buildInfo(), addon = netlinkAddonBuild()): string {
  const addonText =
    addon === 'patched'
      ? 'patched netlink addon (survives overruns)'
      : addon === 'prebuilt'
        ? 'prebuilt netlink addon (agent events in a child process)'
        : 'no netlink addon loadable (ethtool CLI backend only)';
  return `offloadctl ${info.version} (commit ${info.commit}, built ${info.date}; ${addonText})`;
}
