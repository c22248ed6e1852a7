import { spawn } from 'node:child_process';
import { OffloadError } from '../model/errors.js';
import type { Policy } from '../model/types.js';

/** The answer of `offloadctl agent --parse-policy FILE` on stdout: one JSON object. */
export type ParseAnswer = { ok: true; policy: Policy } | { ok: false; message: string };

export interface ChildParseOptions {
  /** argv of this program after node: [script] (the agent's own, bin/offloadctl). */
  self: string;
  /** Killed after this long (default 60 s). */
  timeoutMs?: number;
  /** V8 heap limit of the child, MiB (default 512): a hostile file cannot eat the host's memory. */
  maxHeapMb?: number;
}

/**
 * A SIGHUP reload parses the policy file in a child process (`offloadctl agent --parse-policy
 * FILE`), not in the agent: YAML parsing and validation are synchronous and a 1 MiB policy takes
 * seconds on a busy host (a 532 KB one froze the agent for 4 s: a new tap waited 4 s). The agent
 * only waits for the child's answer, a JSON Policy, while its event loop goes on enforcing.
 * Bad input throws OffloadError('input') with the parser's message.
 */
export function parsePolicyInChild(file: string, o: ChildParseOptions): Promise<Policy> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${o.maxHeapMb ?? 512}`, o.self, 'agent', '--parse-policy', file],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, OFFLOADCTL_CODE_CACHE: '0' },
      },
    );
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 4096) err += b.toString('utf8');
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
    }, o.timeoutMs ?? 60_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new OffloadError('system', `cannot start the policy parser: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      let answer: ParseAnswer | null = null;
      try {
        answer = JSON.parse(Buffer.concat(out).toString('utf8')) as ParseAnswer;
      } catch {
        /* below */
      }
      if (answer?.ok === true) return resolve(answer.policy);
      if (answer?.ok === false) return reject(new OffloadError('input', answer.message));
      const why = signal
        ? `killed by ${signal}${signal === 'SIGKILL' ? ' (timed out or out of memory)' : ''}`
        : `exit ${code}`;
      reject(
        new OffloadError('input', `policy parser for ${file}: ${why}${err ? `: ${err.trim().split('\n')[0]}` : ''}`),
      );
    });
  });
}

/** The child's side: parse and print one ParseAnswer line. Exit code 0 either way (the answer says). */
export async function answerParse(file: string): Promise<number> {
  const { loadPolicyFile } = await import('../policy/load.js');
  let answer: ParseAnswer;
  try {
    answer = { ok: true, policy: loadPolicyFile(file) };
  } catch (e) {
    answer = { ok: false, message: (e as Error).message };
  }
  await new Promise<void>((r) => process.stdout.write(JSON.stringify(answer) + '\n', () => r()));
  return 0;
}
