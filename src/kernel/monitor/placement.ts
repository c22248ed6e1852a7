import { OffloadError } from '../../model/errors.js';
import { addonSurvivesOverrun } from '../netlink/addon.js';

/**
 * Where the agent's event sockets live: in its own process when the netlink addon survives an
 * overrun (the patched build, netlink/addon.ts), else in a child process (`selfArgv` + `agent
 * --monitor-child`, see child.ts) whose abort on POLLERR cannot take the agent down.
 * $OFFLOADCTL_MONITOR_PROCESS=child|inline overrides (inline needs the patched addon).
 */
export function monitorPlacement(
  selfScript: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { childArgv?: string[] } {
  const want = env.OFFLOADCTL_MONITOR_PROCESS;
  const patched = addonSurvivesOverrun();
  if (want === 'inline' && !patched)
    throw new OffloadError(
      'usage',
      'OFFLOADCTL_MONITOR_PROCESS=inline needs the patched netlink addon (scripts/build-netlink-addon.sh)',
    );
  if ((want === 'child' || !patched) && selfScript) return { childArgv: [selfScript, 'agent', '--monitor-child'] };
  return {};
}
