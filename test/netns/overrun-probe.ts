/**
 * Test helper (not a test): overrun a netlink socket of the `netlink` addon on purpose and show
 * what happens. In this process's namespace: a NETLINK_ROUTE socket in RTNLGRP_LINK with a tiny
 * receive buffer; the event loop is blocked while `ip -batch` creates LINKS veth pairs (so the
 * kernel must drop); then the loop runs; then one more link `after0` is created. Prints one JSON
 * line: the error codes the socket reported, whether after0's RTM_NEWLINK arrived afterwards, and
 * the socket's drop counter by the kernel (/proc/self/net/netlink, "Drops").
 *
 *   ip netns exec NS node --import tsx test/netns/overrun-probe.ts LINKS
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { NETLINK_ROUTE } from '../../src/kernel/netlink/nlmsg.js';
import { RTNLGRP_LINK } from '../../src/kernel/netlink/rtnl.js';

const { RawNetlinkSocket } = createRequire(import.meta.url)(
  'netlink/dist/raw.js',
) as typeof import('netlink/dist/raw.js');
const links = Number(process.argv[2] ?? 200);

const sock = new RawNetlinkSocket(NETLINK_ROUTE, { messagePeeking: true, recvBufferSize: 4096, sendBufferSize: 0 });
sock.addMembership(RTNLGRP_LINK);
const errors: string[] = [];
let sawAfter = false;
let messages = 0;
sock.on('message', (buf: Buffer) => {
  messages++;
  if (buf.includes('after0')) sawAfter = true;
});
sock.on('error', (e: { code?: string }) => errors.push(e.code ?? '?'));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// blocks this event loop: nothing is read while the kernel sends 2×links RTM_NEWLINKs
execFileSync('ip', ['-batch', '-'], {
  input: [...Array(links).keys()].map((i) => `link add ov${i} type veth peer name op${i}`).join('\n') + '\n',
});
await sleep(300);
execFileSync('ip', ['link', 'add', 'after0', 'type', 'veth', 'peer', 'name', 'after1']);
for (let i = 0; i < 50 && !sawAfter; i++) await sleep(20);
/** The kernel's view: this socket's row in /proc/net/netlink (by port id; NETLINK_ROUTE = Eth 0). */
const port = sock.address().port;
const row = readFileSync('/proc/self/net/netlink', 'utf8')
  .split('\n')
  .map((l) => l.trim().split(/\s+/))
  .find((f) => f[1] === String(NETLINK_ROUTE) && f[2] === String(port));
sock.close();
process.stdout.write(JSON.stringify({ errors, sawAfter, messages, kernelDrops: row ? Number(row[8]) : null }) + '\n');
