/** Loads recorded kernel messages (captured by test/netns/helpers/capture-kernel-fixtures.ts). */
import { readFileSync } from 'node:fs';
import { parseMessages, type NlMessage } from '../../../src/kernel/netlink/nlmsg.js';

export interface Fixture {
  kernel: string;
  description: string;
  familyId?: number;
  names?: string[];
  out: string[];
  in: string[];
  oracle?: unknown;
  before?: unknown;
  after?: unknown;
}

export function loadFixture(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as Fixture;
}

/** Every message of every received datagram. */
export function received(f: Fixture): NlMessage[] {
  return f.in.flatMap((h) => parseMessages(Buffer.from(h, 'hex')));
}

export function sent(f: Fixture): NlMessage[] {
  return f.out.flatMap((h) => parseMessages(Buffer.from(h, 'hex')));
}
