import { randomBytes } from 'node:crypto';
import { run } from '../../src/kernel/exec.js';

/**
 * Shared by the bench netns tests (not a test file): lab names and the namespaces that exist. The
 * oracle is ./helpers/oracle.ts, the CLI ./helpers/cli.ts.
 */

/** A bench's CLI run (a lab, several profiles, traffic) takes minutes, not seconds. */
export const BENCH_TIMEOUT_MS = 300_000;

export function labName(tag: string): string {
  return `${tag}${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
}

export async function namespaces(): Promise<string[]> {
  const r = await run(['ip', '-json', 'netns', 'list']);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name) : [];
}
