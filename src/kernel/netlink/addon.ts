import { createRequire } from 'node:module';
import { dirname } from 'node:path';

let survives: boolean | null = null;
let loaded = true;

/**
 * Does the loaded `netlink` addon survive a netlink overrun? The prebuilt 0.3.0 binaries abort
 * the process on POLLERR (monitor/child.ts); the build of scripts/build-netlink-addon.sh (with
 * patches/netlink-0.3.0-pollerr.patch) reports it as ENOBUFS and keeps the socket, and says so
 * with `pollErrorSurvives` on the binding. Asks the same loader the package uses (node-gyp-build:
 * build/Release before the prebuilt binaries), so the answer is about the binary in use.
 */
export function addonSurvivesOverrun(): boolean {
  if (survives !== null) return survives;
  try {
    const req = createRequire(import.meta.url);
    const binding = req('node-gyp-build')(dirname(req.resolve('netlink/package.json'))) as {
      pollErrorSurvives?: boolean;
    };
    survives = binding.pollErrorSurvives === true;
  } catch {
    survives = false;
    loaded = false;
  }
  return survives;
}

/** Which addon build loads: the patched one, the package's prebuilt one, or none (`--version`). */
export function netlinkAddonBuild(): 'patched' | 'prebuilt' | 'missing' {
  const patched = addonSurvivesOverrun();
  return patched ? 'patched' : loaded ? 'prebuilt' : 'missing';
}
