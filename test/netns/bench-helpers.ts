import { after, before } from 'node:test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp } from '../../src/lab/lab.js';

/**
 * Shared by the bench netns tests (not a test file): lab names and a lab brought up for a test
 * file. The oracle is ./helpers/oracle.ts, the CLI ./helpers/cli.ts.
 */

/** A bench's CLI run (a lab, several profiles, traffic) takes minutes, not seconds. */
export const BENCH_TIMEOUT_MS = 300_000;

export function labName(tag: string): string {
  return `${tag}${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
}

export interface BenchLab {
  name: string;
  /** The lab's hypervisor namespace. */
  hv: string;
  labDir: string;
  /** Environment for CLI runs that must find this lab. */
  env: Record<string, string>;
}

/**
 * A netns lab with `ports` VM ports for the tests of one file: up before them, down after them
 * (in-process, so cleanup does not depend on dist/ being loadable at that moment), its state
 * folder and `alsoRemove` folders deleted.
 */
export function benchLab(tag: string, skip: string | false, ports = 4, alsoRemove: string[] = []): BenchLab {
  const labDir = mkdtempSync(join(tmpdir(), `olc-${tag}-lab-`));
  const name = labName(tag);
  before(async () => {
    if (skip) return;
    process.env.OFFLOADCTL_LAB_DIR = labDir;
    await labUp(name, ports);
  });
  after(async () => {
    if (!skip) await labDown(name);
    for (const d of [labDir, ...alsoRemove]) rmSync(d, { recursive: true, force: true });
  });
  return { name, hv: `olab-${name}-hv`, labDir, env: { OFFLOADCTL_LAB_DIR: labDir } };
}
