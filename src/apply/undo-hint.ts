import { resolve } from 'node:path';
import type { Snapshot } from './types.js';
import { DEFAULT_STATE_DIR } from './store.js';

const SAFE = /^[A-Za-z0-9@%+=:,./_-]+$/;
/** Quote a word for a POSIX shell only when it needs it. */
const sh = (w: string) => (SAFE.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);

/**
 * The command that undoes an apply, as an operator can paste it: with the `--netns` and
 * `--state-dir` the apply ran with (a bare `offloadctl restore ID` would look in the default
 * state directory of the host's namespace and not find it, or refuse it).
 */
export function undoCommand(snapshot: Pick<Snapshot, 'id' | 'netns'>, stateDir: string): string {
  const argv = ['offloadctl'];
  if (snapshot.netns) argv.push('--netns', snapshot.netns);
  argv.push('restore', snapshot.id);
  if (resolve(stateDir) !== DEFAULT_STATE_DIR) argv.push('--state-dir', resolve(stateDir));
  return argv.map(sh).join(' ');
}
