import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetlinkBackend } from '../../../src/kernel/netlink/backend.js';
import { NlSocket } from '../../../src/kernel/netlink/socket.js';
import { decodeFamily } from '../../../src/kernel/netlink/genl.js';
import { NLM_F_DUMP, NLM_F_DUMP_INTR, type NlMessage } from '../../../src/kernel/netlink/nlmsg.js';
import {
  decodeFeaturesReply,
  ETHTOOL_MSG_FEATURES_GET,
  ETHTOOL_MSG_STRSET_GET,
} from '../../../src/kernel/netlink/ethtool-msg.js';
import { parseEthtoolFeatures } from '../../../src/kernel/ethtool-cli/parse-features.js';
import { KernelError } from '../../../src/kernel/types.js';
import { FakeRaw } from './fake-raw.js';
import { loadFixture, received } from './fixtures.js';

/** Recorded kernel answers, re-addressed to the request's sequence number (and optionally flagged). */
function answer(raw: FakeRaw, req: NlMessage, msgs: NlMessage[], extraFlags = 0): void {
  const bufs = msgs.map((m) => {
    const b = Buffer.alloc(16 + m.payload.length);
    b.writeUInt32LE(b.length, 0);
    b.writeUInt16LE(m.type, 4);
    b.writeUInt16LE(m.flags | extraFlags, 6);
    b.writeUInt32LE(req.seq, 8);
    b.writeUInt32LE(4242, 12);
    m.payload.copy(b, 16);
    return b;
  });
  raw.deliver(...bufs);
}

function replayBackend(opts: { interruptFirstDumps: number }) {
  const fam = decodeFamily(received(loadFixture('genl-getfamily-ethtool'))[0]!.payload);
  const strset = received(loadFixture('strset-features'));
  const dump = received(loadFixture('features-dump-compact'));
  const enodev = received(loadFixture('features-get-enodev'));
  const raw = new FakeRaw();
  let dumps = 0;
  raw.onSend = (req) => {
    assert.equal(req.type, fam.id);
    const cmd = req.payload[0];
    if (cmd === ETHTOOL_MSG_STRSET_GET) answer(raw, req, strset);
    else if (cmd === ETHTOOL_MSG_FEATURES_GET && (req.flags & NLM_F_DUMP) === NLM_F_DUMP) {
      answer(raw, req, dump, dumps++ < opts.interruptFirstDumps ? NLM_F_DUMP_INTR : 0);
    } else if (cmd === ETHTOOL_MSG_FEATURES_GET) answer(raw, req, enodev);
  };
  return { k: NetlinkBackend.fromSocket(new NlSocket(16, raw), fam), dumpsSent: () => dumps };
}

test('dumpFeatures over recorded messages equals the recorded oracle, after retrying NLM_F_DUMP_INTR', async () => {
  const { k, dumpsSent } = replayBackend({ interruptFirstDumps: 2 });
  const got = await k.dumpFeatures();
  assert.equal(dumpsSent(), 3);
  const f = loadFixture('features-dump-compact');
  const oracle = parseEthtoolFeatures(JSON.stringify(f.oracle));
  assert.equal(got.size, oracle.length);
  // by ifindex: the names come from the replies' header nests
  for (const m of received(f).filter((x) => x.type === f.familyId)) {
    const h = decodeFeaturesReply(m.payload).header;
    assert.deepEqual(got.get(h.ifindex!), oracle.find((o) => o.ifname === h.ifname)!.features, h.ifname!);
  }
  assert.deepEqual((await k.featureNames()).filter(Boolean).length, 60);
  k.close();
});

test('a dump interrupted every time gives up with KernelError busy', async () => {
  const { k } = replayBackend({ interruptFirstDumps: 100 });
  await assert.rejects(k.dumpFeatures(), (e: unknown) => e instanceof KernelError && e.code === 'busy');
  k.close();
});

test('getFeatures of a missing device → not-found (recorded ENODEV); invalid names never reach the kernel', async () => {
  const { k } = replayBackend({ interruptFirstDumps: 0 });
  await assert.rejects(
    k.getFeatures('nosuchdev0'),
    (e: unknown) => e instanceof KernelError && e.code === 'not-found' && e.errno === 19,
  );
  await assert.rejects(
    k.getFeatures('a-name-longer-than-15'),
    (e: unknown) => e instanceof KernelError && e.code === 'not-found',
  );
  await assert.rejects(
    k.setFeatures('eth0', { 'no-such-feature': true }),
    (e: unknown) => e instanceof KernelError && e.code === 'not-supported',
  );
  k.close();
});
