import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/kernel/exec.js';

/** Shared by the bench netns tests: the oracle (ethtool --json -k, ip -json link) and the CLI. */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = [process.execPath, join(ROOT, 'bin', 'offloadctl')];
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
export const haveDist = existsSync(join(ROOT, 'dist', 'main.js'));

export function labName(tag: string): string {
  return `${tag}${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
}

/** Every feature (active, requested, fixed) of every interface in ns, from `ethtool --json -k`. */
export async function oracle(ns: string): Promise<Record<string, unknown>> {
  const links = JSON.parse((await run(['ip', '-n', ns, '-json', 'link', 'show'])).stdout) as { ifname: string }[];
  const out: Record<string, unknown> = {};
  for (const { ifname } of links) {
    const r = await run(['ip', 'netns', 'exec', ns, 'ethtool', '--json', '-k', ifname]);
    if (r.code !== 0) throw new Error(`ethtool -k ${ifname}: ${r.stderr}`);
    const [j] = JSON.parse(r.stdout) as Record<string, unknown>[];
    delete j!.ifname;
    out[ifname] = j;
  }
  return out;
}

/** A feature's state in the oracle: { active, requested, fixed }. */
export function feature(o: Record<string, unknown>, ifname: string, name: string): { active: boolean; requested: boolean; fixed: boolean } {
  return (o[ifname] as Record<string, { active: boolean; requested: boolean; fixed: boolean }>)[name]!;
}

export async function namespaces(): Promise<string[]> {
  const r = await run(['ip', '-json', 'netns', 'list']);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name) : [];
}

/** Run bin/offloadctl; retried when dist/ could not be loaded (another `npm run build` replacing it). */
export async function cli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 300_000) {
  for (let attempt = 0; ; attempt++) {
    const r = await run([...CLI, ...args], { env: { ...process.env, ...env }, timeoutMs });
    if (attempt >= 3 || !/cannot load dist\/main\.js/.test(r.stderr)) return r;
    await new Promise((res) => setTimeout(res, 2000));
  }
}
