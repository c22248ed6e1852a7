import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeMessage,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLMSG_DONE,
  NLMSG_ERROR,
  parseDone,
  parseError,
  parseMessages,
} from '../../../src/kernel/netlink/nlmsg.js';
import { loadFixture, received } from './fixtures.js';

test('encodeMessage writes nlmsghdr and pads to 4; parseMessages reads it back', () => {
  const m = encodeMessage(21, 0x5, 7, 99, [Buffer.from([1, 2, 3])]);
  assert.equal(m.length, 20);
  assert.equal(m.readUInt32LE(0), 19);
  const [p] = parseMessages(m);
  assert.deepEqual(
    { type: p!.type, flags: p!.flags, seq: p!.seq, pid: p!.pid },
    { type: 21, flags: 5, seq: 7, pid: 99 },
  );
  assert.deepEqual([...p!.payload], [1, 2, 3]);
});

test('several messages in one datagram (a dump batch) are split', () => {
  const f = loadFixture('features-dump-compact');
  const msgs = received(f);
  assert.ok(f.in.length >= 1);
  assert.ok(msgs.length > 5);
  assert.ok(msgs.slice(0, -1).every((m) => m.flags & NLM_F_MULTI));
  assert.equal(msgs.at(-1)!.type, NLMSG_DONE);
  assert.equal(parseDone(msgs.at(-1)!).errno, 0);
});

test('a truncated datagram throws', () => {
  const m = encodeMessage(21, 0, 1, 1, [Buffer.alloc(8)]);
  assert.throws(() => parseMessages(m.subarray(0, 20)), RangeError);
});

test('NLMSG_ERROR ENODEV without extended ACK (recorded)', () => {
  const msgs = received(loadFixture('features-get-enodev'));
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0]!.type, NLMSG_ERROR);
  const e = parseError(msgs[0]!);
  assert.equal(e.errno, 19);
  assert.equal(e.extack, null);
});

test('NLMSG_ERROR ENODEV with NLMSGERR_ATTR_MSG (recorded with NETLINK_EXT_ACK)', () => {
  const f = loadFixture('features-get-enodev-extack');
  const [m] = received(f);
  assert.ok(m!.flags & NLM_F_ACK_TLVS);
  // NETLINK_CAP_ACK was not set, so the whole request is echoed before the TLVs
  assert.equal(m!.flags & NLM_F_CAPPED, 0);
  const e = parseError(m!);
  assert.equal(e.errno, 19);
  assert.equal(e.extack, 'no device matches name');
});

test('an ACK is an NLMSG_ERROR with errno 0 (recorded after FEATURES_SET)', () => {
  const msgs = received(loadFixture('features-set'));
  const ack = msgs.find((m) => m.type === NLMSG_ERROR)!;
  assert.equal(parseError(ack).errno, 0);
});

test('NLMSG_DONE carrying an errno (a dump that failed midway, e.g. EMSGSIZE)', () => {
  const errno = Buffer.alloc(4);
  errno.writeInt32LE(-90, 0);
  const [done] = parseMessages(encodeMessage(NLMSG_DONE, NLM_F_MULTI | NLM_F_DUMP_INTR, 5, 0, [errno]));
  assert.equal(parseDone(done!).errno, 90);
  assert.ok(done!.flags & NLM_F_DUMP_INTR);
});

test('NLMSG_ERROR with NLM_F_CAPPED: only the request header is echoed, TLVs follow it', () => {
  const echoed = encodeMessage(21, 5, 42, 7, [Buffer.alloc(40)]).subarray(0, 16); // header says 56 bytes
  const errno = Buffer.alloc(4);
  errno.writeInt32LE(-22, 0);
  const msgText = Buffer.from('bad bit\0');
  const tlv = Buffer.alloc(4 + msgText.length);
  tlv.writeUInt16LE(4 + msgText.length, 0);
  tlv.writeUInt16LE(1, 2); // NLMSGERR_ATTR_MSG
  msgText.copy(tlv, 4);
  const [m] = parseMessages(encodeMessage(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 42, 0, [errno, echoed, tlv]));
  assert.deepEqual(parseError(m!), { errno: 22, extack: 'bad bit', requestSeq: 42 });
});
