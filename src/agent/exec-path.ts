import { realpathSync } from 'node:fs';
import { isAbsolute, resolve as absolute } from 'node:path';
import { OffloadError } from '../model/errors.js';

/**
 * Trees the unit cannot run a program from: ProtectHome=yes hides /root, /home and /run/user,
 * PrivateTmp=yes gives the service its own empty /tmp and /var/tmp (unit.ts).
 */
const HIDDEN_FROM_UNIT = ['/root', '/home', '/run/user', '/tmp', '/var/tmp'];

function hidden(p: string): string | undefined {
  return HIDDEN_FROM_UNIT.find((d) => p === d || p.startsWith(`${d}/`));
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * The executable `agent --install-unit` writes into ExecStart: --exec-path when given, else the
 * running one as it was invoked (the package's /usr/bin/offloadctl, not the file its symlink leads
 * to). Refused (exit 2) when it, or what it resolves to, lies where the unit cannot see it: a
 * checkout under /root, /home or /tmp would give a unit that fails at every start.
 */
export function unitExecPath(
  explicit: string | undefined,
  invoked: string | undefined,
  resolve: (p: string) => string = realpathOr,
): string {
  const path = explicit ?? (invoked ? absolute(invoked) : '/usr/bin/offloadctl');
  if (!isAbsolute(path)) throw new OffloadError('usage', `--exec-path must be an absolute path, not ${path}`);
  const real = resolve(path);
  const bad = hidden(path) ?? hidden(real);
  if (bad !== undefined) {
    const which = explicit ? `--exec-path ${path}` : `this offloadctl (${real})`;
    throw new OffloadError(
      'usage',
      `${which} is under ${bad}, which the agent's unit cannot see (ProtectHome=, PrivateTmp=): ` +
        'install the package (/usr/bin/offloadctl) or copy the build elsewhere and give --exec-path',
    );
  }
  return path;
}
