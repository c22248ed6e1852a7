import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A tmpfs on `dir` in a private mount namespace of its own (`unshare -m --propagation private`),
 * never on the host's mounts, held by a `sleep` the caller kills by PID. Commands reach it with
 * `nsenter -t PID -m`. `options` are tmpfs mount options (e.g. `size=512k`).
 */
export async function holdPrivateTmpfs(dir: string, options: string): Promise<ChildProcess> {
  const script = `mount -t tmpfs -o ${options} olc-test "$1" && echo ready && exec sleep 3600`;
  const holder = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.once('data', () => resolve());
    holder.once('exit', (c) => reject(new Error(`unshare/mount failed: ${c}`)));
  });
  return holder;
}
